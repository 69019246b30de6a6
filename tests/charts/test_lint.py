import pytest

from devstack import charts
from tests.harness import chart_cases


def test_helm_lint_strict_is_clean(case: chart_cases.Case) -> None:
    result = chart_cases.lint(case)
    assert result.returncode == 0, f"helm lint --strict {case.id}:\n{result.stdout}{result.stderr}"
    assert "[WARNING]" not in result.stdout, result.stdout


@pytest.mark.parametrize("chart", charts.discover_charts(), ids=lambda c: c.name)
def test_every_chart_has_the_standard_files(chart: charts.Chart) -> None:
    required = ["Chart.yaml", "values.yaml", "README.md"]
    if not chart.is_library:
        required += ["values.schema.json", "templates/_helpers.tpl"]
    missing = [f for f in required if not (chart.path / f).exists()]
    assert not missing, f"chart {chart.name} lacks {missing}"
