"""Shared pytest configuration: every test gets a tier marker from its folder."""

from pathlib import Path

import pytest

# Folder under tests/ -> the tier marker its tests carry.
TIERS = {
    "unit": "unit",
    "charts": "chart",
    "component": "component",
    "cluster": "cluster",
    "load": "load",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.fspath).relative_to(Path(__file__).parent).parts[0]
        if folder in TIERS:
            item.add_marker(TIERS[folder])
