"""The model every server in the benchmark loads: trained, registered and promoted through
the quality gate by the model_service CLI, in a private `mlflow server` (SQLite store)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from devstack.model_servers import QUIET_ENV, Server, mlflow_server, run_cli
from model_service.registry import version_uri

# No per-file download bars from every server that loads the model.
BENCH_ENV = {**QUIET_ENV, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


@dataclass
class Registry:
    env: dict[str, str]  # MLFLOW_TRACKING_URI and quiet settings for every process
    model_uri: str  # models:/name/version: one fixed version for every server
    server: Server | None  # None when an existing registry was given

    def stop(self) -> None:
        if self.server:
            self.server.stop()


def existing(tracking_uri: str, model_uri: str) -> Registry:
    return Registry(
        {**os.environ, **BENCH_ENV, "MLFLOW_TRACKING_URI": tracking_uri}, model_uri, None
    )


def fresh(root: Path, say) -> Registry:
    server = mlflow_server(f"sqlite:///{root / 'mlflow.db'}", root, {**os.environ, **BENCH_ENV})
    say("starting a private MLflow server (SQLite store)")
    server.start().wait_for("/health", timeout=300)
    env = {**os.environ, **BENCH_ENV, "MLFLOW_TRACKING_URI": server.url}
    try:
        say("training the troll classifier (about 2 minutes on 2 cores)")
        trained = json.loads(run_cli("train", env=env).stdout)
        say(f"promoting version {trained['version']} through the quality gate")
        run_cli("promote", "--version", trained["version"], env=env)
    except BaseException:
        server.stop()
        raise
    return Registry(env, version_uri(trained["registered_model"], trained["version"]), server)
