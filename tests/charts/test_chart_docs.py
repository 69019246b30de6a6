"""Every value is documented, and each chart README's values table is current."""

import pytest
import yaml

from devstack import charts
from toolchain import chart_readme


def leaf_paths(node, prefix=""):
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaf_paths(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip(".")


@pytest.mark.parametrize("chart", charts.discover_charts(), ids=lambda c: c.name)
def test_every_value_is_documented(chart: charts.Chart) -> None:
    text = (chart.path / "values.yaml").read_text()
    documented = {key for key, _ in chart_readme.documented_keys(text)}
    undocumented = [
        path
        for path in leaf_paths(yaml.safe_load(text) or {})
        if path and not any(path == d or path.startswith(d + ".") for d in documented)
    ]
    assert not undocumented, (
        f"{chart.name}/values.yaml keys without a '# --' comment: {undocumented}"
    )


def test_readme_values_tables_are_current() -> None:
    assert chart_readme.main(check=True) == 0, "run: python toolchain/chart_readme.py"
