"""Session fixtures for the web app, shared by the component and browser tiers: the app
as a real server (`python -m webapp`) on its own PostgreSQL database, in front of the
real model service and MLflow of tests/model_fixtures.py, starting retraining runs as
local processes. Registered in tests/conftest.py."""

import secrets
from dataclasses import dataclass

import pytest

from devstack.model_servers import Server, webapp_server

WEBAPP_DB = "webapp_tests"
WEBAPP_MODEL = "troll-classifier-webapp-tests"


@dataclass(frozen=True)
class WebApp:
    server: Server
    admin: tuple[str, str]  # user name, password
    database_url: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def webapp(postgres, classifier, mlflow_tracking, model_env, model_workdir) -> WebApp:
    postgres.psql(f"DROP DATABASE IF EXISTS {WEBAPP_DB}")
    postgres.psql(f"CREATE DATABASE {WEBAPP_DB}")
    database_url = postgres.url(WEBAPP_DB)
    admin = ("admin", secrets.token_urlsafe(18))
    env = {
        **model_env,
        "WEBAPP_DATABASE_URL": database_url,
        "WEBAPP_MODEL_URL": classifier.url,
        "WEBAPP_SECRET_KEY": secrets.token_urlsafe(48),
        "WEBAPP_ADMIN_USERNAME": admin[0],
        "WEBAPP_ADMIN_PASSWORD": admin[1],
        "WEBAPP_MLFLOW_URL": mlflow_tracking.url,
        "WEBAPP_TRAINING_LAUNCHER": "process",
        # Its retraining runs register a model and experiment of their own: the session's
        # champion, which the component tier's tests follow, must not move.
        "TROLL_MODEL_NAME": WEBAPP_MODEL,
        "TROLL_EXPERIMENT": WEBAPP_MODEL,
        "WEBAPP_MLFLOW_EXPERIMENT": WEBAPP_MODEL,
        # Few failed sign-ins before the limit, so a test reaches it quickly.
        "WEBAPP_LOGIN_MAX_FAILURES": "3",
    }
    server = webapp_server(model_workdir / "webapp.log", env)
    try:
        server.start().wait_for("/readyz", timeout=120)
        yield WebApp(server, admin, database_url)
    finally:
        server.stop()
