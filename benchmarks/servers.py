"""The three ways to serve the registered model that the benchmark compares, each a real
server process on loopback: our BentoML service, `mlflow models serve`, plain FastAPI."""

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.load import Api
from devstack.model_servers import BIN, SERVICE, Server


@dataclass(frozen=True)
class Kind:
    name: str
    argv: Callable[[str], list[str]]  # model URI -> command (the Server adds host and port)
    ready_path: str
    api: Api

    def server(self, model_uri: str, env: dict[str, str], log_dir: Path) -> Server:
        # `mlflow models serve` runs `uvicorn` from PATH: this environment's.
        path = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env = {**env, "TROLL_MODEL_URI": model_uri, "PATH": path}
        return Server(self.argv(model_uri), log=log_dir / f"{self.name}.log", env=env)


def _texts_body(texts: list[str]) -> dict:
    return {"texts": texts}


def _dataframe_body(texts: list[str]) -> dict:
    return {"dataframe_split": {"columns": ["text"], "data": [[text] for text in texts]}}


BENTOML = Kind(
    "bentoml",
    lambda uri: [str(BIN / "bentoml"), "serve", SERVICE],
    "/readyz",
    Api("/classify", _texts_body, len),
)
MLFLOW = Kind(
    "mlflow-models-serve",
    # The local environment: the same packages as the others, no per-model virtualenv.
    lambda uri: [str(BIN / "mlflow"), "models", "serve", "-m", uri, "--env-manager", "local"],
    "/ping",
    Api("/invocations", _dataframe_body, lambda payload: len(payload["predictions"])),
)
FASTAPI = Kind(
    "plain-fastapi",
    lambda uri: [sys.executable, "-m", "uvicorn", "benchmarks.plain_fastapi:app"],
    "/ping",
    Api("/classify", _texts_body, len),
)
KINDS = {kind.name: kind for kind in (BENTOML, MLFLOW, FASTAPI)}


def _family(server: Server) -> list[psutil.Process]:
    root = psutil.Process(server.process.pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(server: Server) -> float:
    """CPU time used so far by the server and its processes (user + system)."""
    total = 0.0
    for process in _family(server):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def memory_mib(server: Server) -> dict:
    """Memory of the server and every process it started (BentoML runs a worker process).
    RSS counts shared pages once per process; PSS splits them, so PSS sums fairly."""
    rss = pss = 0
    for process in _family(server):
        try:
            info = process.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        rss += info.rss
        pss += info.pss
    return {"rss_mib": round(rss / 2**20), "pss_mib": round(pss / 2**20)}
