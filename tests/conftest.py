"""Shared pytest configuration: every test gets a tier marker from its folder."""

from pathlib import Path

import pytest

# Real servers (PostgreSQL, MLflow, BentoML) for the component and load tiers.
pytest_plugins = ["tests.model_fixtures"]

# Folder under tests/ -> the tier marker its tests carry.
TIERS = {
    "unit": "unit",
    "charts": "chart",
    "component": "component",
    "cluster": "cluster",
    "load": "load",
    "containers": "containers",
}


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
