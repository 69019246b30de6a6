"""`python -m model_service retrain`, the command of the first-champion Job and the
continuous-training CronJob, on the session's real MLflow and a real PostgreSQL table:
idempotent first champion, new rows trained and gated, a refusal that leaves the champion
alone and exits 0, an error that exits 1 with its one-line reason."""

import json
import socket
import time

import psycopg
import pytest
from mlflow import MlflowClient

from devstack.model_servers import run_cli
from model_service.training import dataset_table

MODEL = "troll-classifier-retrain"
DATABASE = "retrain_tests"


@pytest.fixture(scope="module")
def env(postgres, model_env) -> dict[str, str]:
    postgres.psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    postgres.psql(f"CREATE DATABASE {DATABASE}")
    return {
        **model_env,
        "TROLL_DATASET_URL": postgres.url(DATABASE),
        "TROLL_MODEL_NAME": MODEL,
        "TROLL_CV_FOLDS": "2",  # the gate, not the grid search, is under test
    }


def versions(env: dict[str, str]) -> list[str]:
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    return sorted(v.version for v in client.search_model_versions(f"name = '{MODEL}'"))


def champion(env: dict[str, str]) -> str:
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    return str(client.get_model_version_by_alias(MODEL, "champion").version)


def test_the_first_champion_is_trained_once(env) -> None:
    first = run_cli("retrain", "--unless-champion", env=env)
    outcome = json.loads(first.stdout)
    assert outcome["gate"]["promoted"], outcome["gate"]
    assert champion(env) == outcome["trained"]["version"]
    again = json.loads(run_cli("retrain", "--unless-champion", env=env).stdout)
    assert again == {"skipped": f"version {champion(env)} is the champion"}
    assert versions(env) == [outcome["trained"]["version"]]


def test_new_rows_are_trained_and_gated(env) -> None:
    before = versions(env)
    with psycopg.connect(env["TROLL_DATASET_URL"]) as conn:
        conn.execute(
            f"INSERT INTO {dataset_table.TABLE} (text, label, category) VALUES (%s, %s, %s)",
            ("Your argument would be great if it had any evidence at all, genius.", 1, "baiting"),
        )
    outcome = json.loads(run_cli("retrain", env=env).stdout)
    assert outcome["trained"]["version"] not in before
    assert outcome["trained"]["registered_model"] == MODEL
    gate = outcome["gate"]
    assert gate["version"] == outcome["trained"]["version"] and gate["reason"]
    assert champion(env) == (gate["version"] if gate["promoted"] else gate["champion_version"])


def test_a_refused_candidate_exits_0_and_leaves_the_champion(env) -> None:
    served = champion(env)
    strict = {**env, "TROLL_GATE_MIN_F1": "0.999"}
    outcome = json.loads(run_cli("retrain", env=strict).stdout)
    assert outcome["gate"]["promoted"] is False
    assert "0.999" in outcome["gate"]["reason"]
    assert champion(env) == served


def test_an_error_exits_1_with_its_reason(env) -> None:
    away = {**env, "MLFLOW_TRACKING_URI": "http://127.0.0.1:1"}
    failed = run_cli("retrain", "--unless-champion", env=away, check=False)
    assert failed.returncode == 1
    [reason] = [line for line in failed.stderr.splitlines() if "retrain: error:" in line]
    assert "127.0.0.1:1" in reason


def test_a_database_that_never_answers_is_waited_for_then_named(env) -> None:
    with socket.socket() as closed:  # a port nothing listens on: bound, never listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        away = {
            **env,
            "TROLL_DATASET_URL": f"postgresql://training@127.0.0.1:{port}/training",
            "TROLL_DEPENDENCY_WAIT_SECONDS": "4",
        }
        start = time.monotonic()
        failed = run_cli("retrain", env=away, check=False)
        waited = time.monotonic() - start
    assert failed.returncode == 1
    assert f"waiting for postgresql://127.0.0.1:{port}/training" in failed.stderr
    [reason] = [line for line in failed.stderr.splitlines() if "retrain: error:" in line]
    assert f"127.0.0.1:{port}/training table labelled_comments" in reason
    assert waited >= 4, f"gave up after {waited:.1f}s, before the 4s wait"
