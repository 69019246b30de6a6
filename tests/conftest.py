"""Shared pytest configuration: every test gets a tier marker from its folder."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from devstack import chart_deps

# Real servers (PostgreSQL, MLflow, BentoML, the web app) for the component, browser and
# load tiers.
pytest_plugins = ["tests.model_fixtures", "tests.webapp_fixtures"]

RUN_TMP = pytest.StashKey[tuple[str, str | None]]()

# Folder under tests/ -> the tier marker its tests carry.
TIERS = {
    "unit": "unit",
    "charts": "chart",
    "component": "component",
    "cluster": "cluster",
    "load": "load",
    "containers": "containers",
    "browser": "browser",
    "pipelines": "pipelines",
}


def pytest_configure(config: pytest.Config) -> None:
    """One private temp folder for the run, the servers it starts included (TMPDIR is
    inherited), removed at the end: what third-party servers leave there (e.g. `mlflow
    models serve` keeps its copy of the model) goes with it, as do pytest's own folders."""
    run_tmp = tempfile.mkdtemp(prefix="mlops-tests-")
    # Traversable, not listable: servers that run as another user (PostgreSQL as
    # `postgres`) reach their own folders below it.
    os.chmod(run_tmp, 0o711)
    config.stash[RUN_TMP] = (run_tmp, os.environ.get("TMPDIR"))
    os.environ["TMPDIR"] = run_tmp
    tempfile.tempdir = None  # recomputed from TMPDIR on next use


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN_TMP not in config.stash:
        return
    run_tmp, previous = config.stash[RUN_TMP]
    if previous is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = previous
    tempfile.tempdir = None
    # Never delete through a mount a failed teardown may have left (e.g. a real node's).
    mounted = any(
        f" {run_tmp}/" in line for line in Path("/proc/self/mountinfo").read_text().splitlines()
    )
    if mounted:
        print(f"\nleft {run_tmp} in place: something is still mounted under it")
    else:
        shutil.rmtree(run_tmp, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.fspath).relative_to(Path(__file__).parent).parts[0]
        if folder in TIERS:
            item.add_marker(TIERS[folder])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cluster-provider",
        default=None,
        help="cluster tier: auto (default; kind when a Docker engine answers, else local), "
        "local, kind or existing; overrides $MLOPS_CLUSTER_PROVIDER",
    )


@pytest.fixture(scope="session")
def chart_dependencies() -> None:
    """The common library packaged into each subchart (`make chart-deps`), for tests that
    render a subchart on its own: a fresh checkout has none of these copies."""
    chart_deps.build_dependencies()
