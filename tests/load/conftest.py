"""Load tier: real HTTP servers on loopback, loaded by the real runner in a subprocess."""

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.paths import REPO_ROOT
from devstack.processes import free_port, wait_until
from loadtests import target

STAND_IN = Path(__file__).with_name("runner_stand_in.py")


def _ready(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _start(argv: list[str], url: str, log: Path, timeout: float, **kwargs) -> subprocess.Popen:
    """Start a server in its own process group and wait for its /readyz."""
    with log.open("w") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited with {process.returncode}:\n{log.read_text()}")
        return _ready(url)

    try:
        wait_until(ready, timeout, f"{url}/readyz")
    except BaseException:
        _stop(process)
        raise
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def runner_stand_in(tmp_path) -> Iterator[Callable[..., str]]:
    """Start stand-in servers for the runner's own tests (not the model); returns their URLs."""
    started: list[subprocess.Popen] = []

    def start(*flags: str) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, str(STAND_IN), "--port", str(port), *flags]
        started.append(_start(argv, url, tmp_path / f"stand-in-{port}.log", timeout=30))
        return url

    yield start
    for process in started:
        _stop(process)


@pytest.fixture(scope="session")
def model_server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The real model service: `bentoml serve` of the champion that the session trained
    and promoted in a real MLflow server (tests/model_fixtures.py).

    MODEL_SERVER_URL points the tier at a model service that is already running
    (loopback only) instead.
    """
    if url := os.environ.get("MODEL_SERVER_URL"):
        checked = target.check_url(url)
        if not _ready(checked):
            pytest.fail(f"MODEL_SERVER_URL={url} does not answer 200 on /readyz")
        yield checked
        return
    yield request.getfixturevalue("classifier").url


@pytest.fixture
def loadtests_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run `python -m loadtests run ARGS --out OUT` as a user would."""

    def run(*args: str, out: Path) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "loadtests", "run", *args, "--out", str(out)]
        result = subprocess.run(
            argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        # Shown by pytest when the test fails.
        print(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
        return result

    return run
