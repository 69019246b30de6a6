"""values.schema.json rejects bad values with a message that names the key.

Each file in bad-values/ is a values file for the umbrella chart with a first
line `# expect: <text>`: helm lint and helm template must both fail and their
error must contain <text>.
"""

import json
from pathlib import Path

import pytest

from devstack import charts
from devstack.paths import PLATFORM_CHART
from tests.harness.workloads import containers, workloads
from toolchain import chart_schema

BAD_VALUES = sorted((Path(__file__).parent / "bad-values").glob("*.yaml"))


def expected_message(values_file: Path) -> str:
    first = values_file.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{values_file.name} must start with '# expect: <text>'"
    return first.removeprefix("# expect: ").strip()


@pytest.mark.parametrize("values_file", BAD_VALUES, ids=[f.stem for f in BAD_VALUES])
def test_bad_values_fail_lint_naming_the_key(values_file: Path) -> None:
    result = charts.run_helm(
        "lint", "--strict", PLATFORM_CHART, "--values", values_file, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"helm lint accepted {values_file.name}"
    assert expected_message(values_file) in output, output


@pytest.mark.parametrize("values_file", BAD_VALUES, ids=[f.stem for f in BAD_VALUES])
def test_bad_values_fail_template_naming_the_key(values_file: Path) -> None:
    result = charts.run_helm(
        "template", "mlops", PLATFORM_CHART, "--values", values_file, check=False
    )
    assert result.returncode != 0, f"helm template accepted {values_file.name}"
    assert expected_message(values_file) in result.stderr, result.stderr


def test_committed_schemas_are_generated_from_their_sources() -> None:
    assert chart_schema.main(check=True) == 0, "run: make chart-schemas"


def test_shared_definitions_are_kept_once() -> None:
    shared = set(json.loads(chart_schema.SHARED.read_text())["definitions"])
    for chart in chart_schema.charts_with_sources():
        source = json.loads((chart / chart_schema.SOURCE).read_text())
        copied = shared & set(source.get("definitions", {}))
        assert not copied, f"{chart.name}/{chart_schema.SOURCE} copies shared definitions {copied}"


def test_schema_composition_names_a_missing_definition() -> None:
    source = {"type": "object", "properties": {"x": {"$ref": "#/definitions/nowhere"}}}
    with pytest.raises(chart_schema.SchemaError, match="nowhere"):
        chart_schema.compose(source, {}, "example")


def test_there_are_negative_cases() -> None:
    assert len(BAD_VALUES) >= 2, "bad-values/ must hold the misspelt-key and wrong-type cases"


def test_every_subchart_accepts_global_values() -> None:
    global_values = {
        "global": {
            "imageRegistry": "mirror.example.com",
            "imagePullSecrets": [{"name": "regcred"}],
            "storageClass": "fast",
        }
    }
    for chart in charts.discover_charts():
        if chart.is_library:
            continue
        objects = charts.render(chart.path, global_values)
        pods = [w.pod_spec for w in workloads(objects)]
        images = [c["image"] for pod in pods for _, c in containers(pod)]
        wrong = [i for i in images if not i.startswith("mirror.example.com/")]
        assert not wrong, f"{chart.name} ignores global.imageRegistry: {wrong}"
        secrets = [s["name"] for pod in pods for s in pod.get("imagePullSecrets") or []]
        assert all(s == "regcred" for s in secrets) and len(secrets) == len(pods), (
            f"{chart.name} does not pass global.imagePullSecrets to every pod"
        )
