from collections import Counter

import pytest

from devstack.kube_schema import describe
from tests.harness import chart_cases


def test_renders_objects_with_identity(rendered_case: chart_cases.Case) -> None:
    objects = chart_cases.render_case(rendered_case)
    if not objects and not rendered_case.values_file:
        # A chart whose every part is opt-in (cert-issuers) renders nothing by
        # default; its ci/ cases must then render something.
        assert list((rendered_case.chart.path / "ci").glob("*.yaml")), (
            f"{rendered_case.id} renders nothing and has no ci/ cases that do"
        )
        pytest.skip(f"{rendered_case.chart.name}: every part is opt-in; ci/ cases render them")
    assert objects, f"{rendered_case.id} rendered no objects"
    for obj in objects:
        assert obj.get("apiVersion") and obj.get("kind"), f"object without apiVersion/kind: {obj}"
        name = obj.get("metadata", {}).get("name", "")
        assert name, f"{obj['kind']} without metadata.name"
        assert len(name) <= 63, f"{describe(obj)}: name longer than 63 characters"


def test_no_two_objects_share_kind_and_name(rendered_case: chart_cases.Case) -> None:
    keys = Counter(
        (o["kind"], o["metadata"]["name"]) for o in chart_cases.render_case(rendered_case)
    )
    duplicates = [key for key, count in keys.items() if count > 1]
    assert not duplicates, f"{rendered_case.id} renders duplicates: {duplicates}"
