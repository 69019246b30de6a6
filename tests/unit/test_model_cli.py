"""The CLI's argument errors and the `validate` verb (no model is trained or loaded)."""

import pytest

from model_service.cli import VERBS, main, parser


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: VERB"),
        (["fly"], "invalid choice: 'fly'"),
        (
            ["train", "--data", "/nonexistent.csv"],
            "argument --data: no such file: /nonexistent.csv",
        ),
        (["train", "--train-sample", "0"], "expected a number of at least 1, got 0"),
        (["train", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["promote", "--min-f1", "1.5"], "expected a number from 0 to 1, got 1.5"),
        (["promote", "--version", "two"], "expected a whole number, got 'two'"),
        (["serve", "--port", "-1"], "expected a number of at least 1, got -1"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(capsys, argv, message) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_every_verb_has_a_function_and_every_function_a_verb() -> None:
    [verbs] = [a for a in parser()._subparsers._group_actions if a.dest == "verb"]
    assert set(verbs.choices) == set(VERBS)


def test_bad_settings_from_the_environment_exit_1(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TROLL_GATE_MAX_DROP", "lots")
    code, _, err = run(capsys, "validate")
    assert code == 1
    assert "TROLL_GATE_MAX_DROP='lots' is not a valid float" in err


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["train", "--encoder-backend", "tensorrt"], {}),
        (["train"], {"TROLL_ENCODER_BACKEND": "tensorrt"}),
    ],
    ids=["flag", "variable"],
)
def test_unknown_encoder_backend_exits_1_naming_the_choices(capsys, monkeypatch, argv, env) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "TROLL_ENCODER_BACKEND or --encoder-backend" in err
    assert "must be one of torch, onnx, onnx-int8, got 'tensorrt'" in err


def test_validate_accepts_the_bundled_dataset(capsys) -> None:
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.rstrip().endswith("valid")


def test_validate_rejects_bad_rows_unless_asked_to_drop_them(capsys, tmp_path) -> None:
    rows = "".join(f"comment number {i},{i % 2}\n" for i in range(30))
    path = tmp_path / "c.csv"
    path.write_text("text,label\n" + rows + "comment number 3,0\n,1\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert "line 32: duplicate of line 5 with a different label (1 there, 0 here)" in out
    assert "line 33: text is empty or only whitespace" in out
    assert "pass --drop-bad" in out
    clean = tmp_path / "clean.csv"
    code, out, _ = run(capsys, "validate", str(path), "--drop-bad", "--write-clean", str(clean))
    assert code == 0 and "valid after dropping 2 rows" in out
    assert len(clean.read_text().splitlines()) == 31
