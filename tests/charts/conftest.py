"""Static chart tier: parametrised over every chart under charts/ and every
values file that belongs to it (see tests/harness/chart_cases.py)."""

import pytest

from devstack.kube_schema import schema_versions
from tests.harness import chart_cases


@pytest.fixture(scope="session", autouse=True)
def current_chart_dependencies(chart_dependencies) -> None:
    """Every test here renders with the subcharts' current sources packaged."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cases = chart_cases.discover_cases()
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])
    if "rendered_case" in metafunc.fixturenames:
        rendered = [c for c in cases if not c.chart.is_library]
        metafunc.parametrize("rendered_case", rendered, ids=[c.id for c in rendered])
    if "kube_version" in metafunc.fixturenames:
        metafunc.parametrize("kube_version", schema_versions())
