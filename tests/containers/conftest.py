"""Fixtures shared by the containers tier: a Docker engine, the Bento the model image is
built from, and the report of what the tier does not run for real."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.images import docker as engine
from devstack.model_servers import run_cli
from devstack.paths import recorded_bento
from devstack.real_node_platform import build_model_image

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
    try:
        started = engine.start_engine()
    except engine.EngineError as exc:
        pytest.skip(str(exc))
    try:
        yield
    finally:
        if started:
            engine.stop_engine()


@pytest.fixture(scope="session")
def bento(request) -> Path:
    """The Bento `make model` recorded, else one built from a freshly trained champion."""
    recorded = recorded_bento()
    if recorded:
        return recorded
    request.getfixturevalue("champion")
    model_env = request.getfixturevalue("model_env")
    out = request.getfixturevalue("model_workdir") / "image-bento"
    return Path(json.loads(run_cli("build", "--out", str(out), env=model_env).stdout)["path"])


@pytest.fixture(scope="session")
def troll_image(docker_engine, bento: Path) -> str:
    """The image values/local.yaml serves: the champion baked in."""
    return build_model_image(bento)
