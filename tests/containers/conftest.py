"""Fixtures shared by the containers tier: a Docker engine, the Bento the model image is
built from, and the report of what the tier does not run for real."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.images import docker as engine
from devstack.images.recipes import BENTO_PATH_FILE, REPO_ROOT
from devstack.model_servers import run_cli
from devstack.real_node_platform import build_model_image

ENGINE_SCRIPT = REPO_ROOT / "toolchain" / "container-engine.sh"
# Component -> why the tier does not run it for real; printed at the end of the session.
NOT_RUN_FOR_REAL: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    if NOT_RUN_FOR_REAL:
        terminalreporter.section("containers tier: not run for real")
        for component, reason in NOT_RUN_FOR_REAL.items():
            terminalreporter.write_line(f"{component}: {reason}")


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[None]:
    """A Docker engine that answers: the one running, else one started for this session
    by toolchain/container-engine.sh (root) and stopped again at the end."""
    if engine.engine_problem() is None:
        yield
        return
    started = subprocess.run(
        [str(ENGINE_SCRIPT), "start"], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        pytest.skip(f"{engine.engine_problem()}; {started.stderr.strip().splitlines()[-1]}")
    try:
        yield
    finally:
        subprocess.run([str(ENGINE_SCRIPT), "stop"], capture_output=True, check=False)


@pytest.fixture(scope="session")
def bento(request) -> Path:
    """The Bento `make model` recorded, else one built from a freshly trained champion."""
    if BENTO_PATH_FILE.is_file():
        recorded = Path(BENTO_PATH_FILE.read_text().strip())
        if (recorded / "bento.yaml").is_file():
            return recorded
    request.getfixturevalue("champion")
    model_env = request.getfixturevalue("model_env")
    out = request.getfixturevalue("model_workdir") / "image-bento"
    return Path(json.loads(run_cli("build", "--out", str(out), env=model_env).stdout)["path"])


@pytest.fixture(scope="session")
def troll_image(docker_engine, bento: Path) -> str:
    return build_model_image(bento)
