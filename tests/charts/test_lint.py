from tests.harness import charts


def test_helm_lint_strict_is_clean(case: charts.Case) -> None:
    result = charts.lint(case)
    assert result.returncode == 0, f"helm lint --strict {case.id}:\n{result.stdout}{result.stderr}"
    assert "[WARNING]" not in result.stdout, result.stdout


def test_every_chart_has_the_standard_files(case: charts.Case) -> None:
    if case.values_file:
        return  # files are per chart; checked once, on the defaults case
    required = ["Chart.yaml", "values.yaml", "README.md"]
    if not case.chart.is_library:
        required += ["values.schema.json", "templates/_helpers.tpl"]
    missing = [f for f in required if not (case.chart.path / f).exists()]
    assert not missing, f"chart {case.chart.name} lacks {missing}"
