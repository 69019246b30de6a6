"""Session fixtures for real servers on loopback, shared by the component and load
tiers: PostgreSQL, `mlflow server` on it, the champion trained and promoted through the
CLI, and `bentoml serve` of it. Registered in tests/conftest.py."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from devstack.model_servers import (
    QUIET_ENV,
    mlflow_server,
    run_cli,
    service_server,
)
from devstack.postgres import LocalPostgres
from model_service.registry import CHAMPION_URI, MODEL_NAME, alias_uri


@pytest.fixture(scope="session")
def postgres():
    # Not under pytest's tmp dir: that is private to root, and the server runs
    # as the postgres user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="mlops-postgres-"))
    root.chmod(0o755)
    server = LocalPostgres(root / "pg")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- model service: a real MLflow server on PostgreSQL, the CLI, `bentoml serve` ---------

MODEL_DB = "mlflow_model_tests"


@pytest.fixture(scope="session")
def model_workdir():

    root = Path(tempfile.mkdtemp(prefix="mlops-model-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mlflow_tracking(postgres, model_workdir):
    """`mlflow server` with PostgreSQL as its backend store and a local artifact root."""

    postgres.psql(f"DROP DATABASE IF EXISTS {MODEL_DB}")
    postgres.psql(f"CREATE DATABASE {MODEL_DB}")
    server = mlflow_server(
        postgres.url(MODEL_DB), model_workdir / "mlflow", {**os.environ, **QUIET_ENV}
    )
    try:
        server.start().wait_for("/health", timeout=300)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def model_env(mlflow_tracking, model_workdir) -> dict[str, str]:
    """Environment for the CLI and servers: this session's MLflow, a private BentoML home."""

    return {
        **os.environ,
        **QUIET_ENV,
        "MLFLOW_TRACKING_URI": mlflow_tracking.url,
        "BENTOML_HOME": str(model_workdir / "bentoml"),
    }


@pytest.fixture(scope="session")
def champion(model_env) -> dict:
    """Train on the full bundled dataset once per session, register and promote it."""

    trained = json.loads(run_cli("train", env=model_env).stdout)
    promoted = json.loads(run_cli("promote", "--version", trained["version"], env=model_env).stdout)
    return {"train": trained, "promote": promoted}


@pytest.fixture(scope="session")
def classifier(champion, model_env, model_workdir):
    """`bentoml serve` of the service, loading the champion from the registry alias."""

    server = service_server(CHAMPION_URI, model_workdir / "bentoml-serve.log", model_env)
    try:
        server.start().wait_for("/readyz", timeout=600)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def unready_classifier(model_env, model_workdir):
    """`bentoml serve` of an alias that does not exist: live, retrying, never ready."""

    # A BentoML home of its own: a server clears the Prometheus files in its home at
    # start, which would empty the metrics of the `classifier` running beside it.
    env = {**model_env, "BENTOML_HOME": str(model_workdir / "bentoml-unready")}
    server = service_server(
        alias_uri(MODEL_NAME, "no-such-alias"), model_workdir / "bentoml-unready.log", env
    )
    try:
        server.start().wait_for("/livez", timeout=600)
        yield server
    finally:
        server.stop()
