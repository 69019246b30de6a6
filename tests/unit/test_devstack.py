"""The development stack's own logic that needs no cluster or server: the CLI's usage,
the run's state file, the status report and stopping a server's whole process tree."""

import os
import signal
import stat
import subprocess
import sys

import pytest

from devstack import cli, state, status
from devstack.paths import run_dir
from devstack.processes import alive, descendants, stop_process_tree, wait_until


def test_unknown_verb_exits_2_naming_the_verbs(capsys) -> None:
    assert cli.main(["upp"]) == 2
    assert "python -m devstack {up|model|down|status}" in capsys.readouterr().err


def test_state_survives_a_round_trip_readable_only_by_its_owner(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_RUN_DIR", str(tmp_path))
    assert state.load_state() == {}
    state.save_state({"postgres_port": 5433, "postgres_password": "secret"})
    assert state.load_state() == {"postgres_port": 5433, "postgres_password": "secret"}
    assert stat.S_IMODE((tmp_path / "state.json").stat().st_mode) == 0o600


def test_status_of_nothing_says_how_to_start() -> None:
    assert status.status_report({}) == "nothing is running (make up starts it)"


def test_status_names_what_runs_and_where(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_RUN_DIR", str(tmp_path))
    report = status.status_report(
        {
            "kubeconfig": "/k/config",
            "mlflow_url": "http://127.0.0.1:5001",
            "champion": {"version": "3"},
            "postgres_port": 5433,
        }
    )
    assert "export KUBECONFIG=/k/config" in report
    assert "MLflow UI   http://127.0.0.1:5001" in report
    assert "troll-classifier version 3" in report
    assert "127.0.0.1:5433" in report
    assert str(tmp_path / "state.json") in report
    assert "model API" not in report, "no model server was recorded"


def test_stop_process_tree_stops_children_that_left_the_group() -> None:
    # The child starts a session of its own, as BentoML's workers do.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, time; "
            "subprocess.Popen(['sleep', '300'], start_new_session=True); time.sleep(300)",
        ],
        start_new_session=True,
    )
    try:
        wait_until(lambda: bool(descendants(parent.pid)), 10, "the stand-in server's child")
        children = descendants(parent.pid)
        stop_process_tree(parent.pid, grace=5)
        parent.wait(timeout=5)
        # SIGKILL lands asynchronously: give the kernel a moment, not a free pass.
        wait_until(lambda: not any(alive(pid) for pid in children), 5, "the child to die")
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait()


@pytest.mark.parametrize("kind", ["platform", "cluster"])
def test_run_folders_are_keyed_by_the_checkout_and_overridable(kind, monkeypatch) -> None:
    monkeypatch.delenv("MLOPS_TEST_DIR", raising=False)
    default = run_dir(kind, "MLOPS_TEST_DIR")
    assert default.name.startswith(f"mlops-{kind}-{os.getuid()}-")
    monkeypatch.setenv("MLOPS_TEST_DIR", "/elsewhere")
    assert str(run_dir(kind, "MLOPS_TEST_DIR")) == "/elsewhere"
