"""The runner's command line: bad input fails before any load is sent."""

import pytest

from loadtests import cli, runner
from loadtests.profiles import Load


def fails(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == cli.USAGE
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required"),
        (["run"], "one of the arguments --profile --profile-file is required"),
        (["run", "--profile", "nope"], "invalid choice: 'nope'"),
        (["run", "--profile", "smoke", "--users", "0"], "--users: must be > 0"),
        (["run", "--profile", "smoke", "--users", "many"], "--users: expected a number"),
        (["run", "--profile", "smoke", "--run-time", "5x"], "--run-time: run time: expected"),
        (["run", "--profile", "smoke", "--user-rate", "-1"], "--user-rate: must be >= 0"),
        (["run", "--profile", "smoke", "--host", "http://10.1.2.3:3000"], "not a loopback"),
        (["run", "--profile-file", "/nonexistent.yaml"], "cannot read /nonexistent.yaml"),
    ],
)
def test_bad_arguments(argv: list[str], message: str, capsys) -> None:
    assert message in fails(argv, capsys)


def test_locust_always_gets_a_run_time_and_every_report(tmp_path) -> None:
    load = Load(users=3, spawn_rate=1.5, run_time="7s", user_rate=0.5, user_classes=("LongTexts",))
    argv = runner.locust_argv("http://127.0.0.1:3000", load, tmp_path)
    pairs = dict(zip(argv, argv[1:], strict=False))
    assert "--headless" in argv
    assert pairs["--run-time"] == "7s"
    assert pairs["--users"] == "3" and pairs["--spawn-rate"] == "1.5"
    assert pairs["--csv"] == str(tmp_path / "locust")
    assert pairs["--json-file"] == str(tmp_path / "stats")
    assert pairs["--html"] == str(tmp_path / "report.html")
    assert pairs["--user-rate"] == "0.5"
    assert argv[-1] == "LongTexts"
