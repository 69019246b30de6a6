"""The model service's processes from this checkout, each a subprocess on loopback:
`mlflow server`, `bentoml serve`, the `python -m model_service` CLI and the web app in
front of them (`python -m webapp`). Used by `make up`, the benchmarks and the tests."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.paths import REPO_ROOT
from devstack.processes import descendants, free_port
from model_service.serving import SERVICE

BIN = Path(sys.executable).parent
# No usage reporting or hub downloads from the libraries we run.
QUIET_ENV = {
    "DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def run_cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """`python -m model_service ARGS` from the repository root."""
    result = subprocess.run(
        [sys.executable, "-m", "model_service", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"model_service {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr[-6000:]}"
        )
    return result


@dataclass
class Server:
    """A server subprocess in its own process group, logging to a file."""

    argv: list[str]
    log: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*self.argv, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_for(self, path: str, timeout: float) -> None:
        """Poll GET path until 200; fail early, with the log, if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.argv[0]} exited {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.url + path, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.url}{path} not 200 after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            return
        # BentoML's workers run in sessions of their own: note them before they are orphaned.
        family = descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def mlflow_server(backend_uri: str, root: Path, env: dict[str, str]) -> Server:
    return Server(
        [
            str(BIN / "mlflow"),
            "server",
            "--backend-store-uri",
            backend_uri,
            "--artifacts-destination",
            str(root / "artifacts"),
            "--workers",
            "1",
        ],
        log=root / "mlflow-server.log",
        # No GenAI job workers: six idle pollers on a 2-core machine for nothing we use.
        env={**env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )


def bentoml_server(target: str, log: Path, env: dict[str, str], bin_dir: Path = BIN) -> Server:
    return Server([str(bin_dir / "bentoml"), "serve", target], log=log, env=env)


def service_server(model_uri: str, log: Path, env: dict[str, str]) -> Server:
    """`bentoml serve` of the service from this checkout, loading `model_uri`."""
    return bentoml_server(SERVICE, log, {**env, "TROLL_MODEL_URI": model_uri})


def webapp_server(log: Path, env: dict[str, str]) -> Server:
    """The web app from this checkout; its WEBAPP_* settings come in `env`."""
    return Server([sys.executable, "-m", "webapp"], log=log, env=env)
