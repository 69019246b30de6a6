"""The platform's parts that run here as real local processes, since pods run no
containers under the `local` provider: PostgreSQL bootstrapped by the chart's own
script, the MLflow server on the chart's `mlflow` database and owner, `bentoml serve`
of the champion, and the web app on the chart's `training` database and owner. Each is
reused when a previous run left it answering."""

import json
import os
import re
import secrets
import subprocess
import urllib.request

from devstack.console import say
from devstack.model_servers import QUIET_ENV, mlflow_server, service_server, webapp_server
from devstack.postgres import LocalPostgres
from devstack.processes import stop_process_tree
from devstack.state import save_state, state_dir
from model_service.registry import CHAMPION_URI


def answers(url: str) -> bool:
    """Whether GET url returns 200 (a server a previous run started is still up)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def local_postgres(state: dict) -> LocalPostgres:
    """The run's server: the port and password of an earlier run when there was one."""
    root = state_dir() / "postgres"
    if state.get("postgres_port"):
        return LocalPostgres(root, state["postgres_port"], state["postgres_password"])
    return LocalPostgres(root)


def start_postgres(state: dict) -> LocalPostgres:
    postgres = local_postgres(state)
    say("starting PostgreSQL on 127.0.0.1")
    postgres.start()
    state.update(postgres_port=postgres.port, postgres_password=postgres.password)
    save_state(state)
    return postgres


def bootstrap_databases(objects: list[dict], postgres: LocalPostgres) -> dict[str, str]:
    """Run the chart's bootstrap script against the local server; returns the owner
    passwords, generated here as the chart generates them and kept in the state dir."""
    [configmap] = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("postgresql-bootstrap")
    ]
    script = configmap["data"]["ensure-databases.sh"]
    secrets_file = state_dir() / "passwords.json"
    passwords = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    env = postgres.env()
    for var in sorted(set(re.findall(r"\$(OWNER_PASSWORD_\w+)", script))):
        passwords.setdefault(var, os.urandom(12).hex())
        env[var] = passwords[var]
    secrets_file.write_text(json.dumps(passwords))
    secrets_file.chmod(0o600)
    result = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"database bootstrap failed:\n{result.stdout}{result.stderr}")
    say(result.stdout.strip().splitlines()[-1])
    return passwords


def start_mlflow(postgres: LocalPostgres, passwords: dict[str, str], state: dict) -> str:
    """`mlflow server` on the chart's own database and owner (as in the cluster)."""
    if state.get("mlflow_url") and answers(state["mlflow_url"] + "/health"):
        return state["mlflow_url"]
    backend = postgres.url("mlflow", user="mlflow", password=passwords["OWNER_PASSWORD_MLFLOW"])
    server = mlflow_server(backend, state_dir() / "mlflow", {**os.environ, **QUIET_ENV})
    say("starting the MLflow server (tracking + registry) on 127.0.0.1")
    server.start().wait_for("/health", timeout=300)
    state.update(mlflow_url=server.url, mlflow_pid=server.process.pid)
    save_state(state)
    return server.url


def serve_champion(env: dict[str, str], state: dict) -> str:
    """`bentoml serve` of this checkout's service, loading the champion from MLflow."""
    if state.get("model_url") and answers(state["model_url"] + "/readyz"):
        return state["model_url"]
    server = service_server(CHAMPION_URI, state_dir() / "bentoml-serve.log", env)
    say("serving the champion with BentoML on 127.0.0.1 (waits for /readyz)")
    server.start().wait_for("/readyz", timeout=600)
    state.update(model_url=server.url, model_pid=server.process.pid)
    save_state(state)
    return server.url


def start_webapp(
    postgres: LocalPostgres, passwords: dict[str, str], env: dict[str, str], state: dict
) -> str:
    """The web app on the chart's `training` database and owner (the labelled comments
    training reads), in front of the served champion; retraining runs as processes. Its
    first admin's password is generated once and kept in the run's state."""
    if state.get("webapp_url") and answers(state["webapp_url"] + "/readyz"):
        return state["webapp_url"]
    state.setdefault("webapp_admin_password", secrets.token_urlsafe(18))
    state.setdefault("webapp_secret_key", secrets.token_urlsafe(48))
    database = postgres.url(
        "training", user="training", password=passwords["OWNER_PASSWORD_TRAINING"]
    )
    server = webapp_server(
        state_dir() / "webapp.log",
        {
            **env,
            "WEBAPP_DATABASE_URL": database,
            "WEBAPP_MODEL_URL": state["model_url"],
            "WEBAPP_MLFLOW_URL": env["MLFLOW_TRACKING_URI"],
            "WEBAPP_SECRET_KEY": state["webapp_secret_key"],
            "WEBAPP_ADMIN_PASSWORD": state["webapp_admin_password"],
            "WEBAPP_TRAINING_LAUNCHER": "process",
        },
    )
    say("starting the web app (try-it page and workbench) on 127.0.0.1")
    server.start().wait_for("/readyz", timeout=120)
    state.update(webapp_url=server.url, webapp_pid=server.process.pid)
    save_state(state)
    return server.url


def stop_local_services(state: dict) -> None:
    """Stop the web app, BentoML, MLflow and PostgreSQL as recorded in the run's state."""
    for key, what in (
        ("webapp_pid", "the web app"),
        ("model_pid", "BentoML"),
        ("mlflow_pid", "the MLflow server"),
    ):
        if state.get(key):
            say(f"stopping {what}")
            stop_process_tree(state[key])
    if state.get("postgres_port"):
        say("stopping PostgreSQL")
        local_postgres(state).stop()
