"""`python -m benchmarks.encoders`: argument and dataset errors name the problem before any
model loads."""

import pytest

from benchmarks import encoders


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeats", "-1"], "expected a number of at least 1, got -1"),
        (["--batch-sizes", "8,x"], "expected a whole number, got 'x'"),
        (["--data", "/nonexistent.csv"], "argument --data: no such file: /nonexistent.csv"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(capsys, argv, message) -> None:
    with pytest.raises(SystemExit) as exited:
        encoders.main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_dataset_exits_1_listing_its_rows(capsys, tmp_path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text("text,label\nfine,0\n,1\n")
    assert encoders.main(["--data", str(path)]) == 1
    err = capsys.readouterr().err
    assert "benchmarks.encoders: error:" in err and "line 3: text is empty" in err
