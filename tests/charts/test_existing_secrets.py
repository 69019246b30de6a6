"""A user-supplied existingSecret always wins: the chart references it and does
not generate the Secret it replaces."""

import pytest

from devstack import charts
from devstack.paths import chart_dir

BYO = "team-provided-secret"

# chart, values that generate a Secret, the same values bringing one, the generated Secret
CASES = [
    ("postgresql", {}, {"auth": {"existingSecret": BYO}}, "mlops-postgresql"),
    ("harbor", {}, {"existingSecret": BYO}, "mlops-harbor"),
    (
        "mlflow",
        {"auth": {"enabled": True}},
        {"auth": {"enabled": True, "existingSecret": BYO}},
        "mlops-mlflow-auth",
    ),
    ("monitoring", {}, {"grafana": {"admin": {"existingSecret": BYO}}}, "mlops-monitoring-grafana"),
]


def secret_references(objects) -> set[str]:
    """Names of Secrets that pods use: env, envFrom and volumes."""
    found = set()

    def visit(node) -> None:
        if isinstance(node, dict):
            for key in ("secretKeyRef", "secretRef"):
                if key in node:
                    found.add(node[key].get("name"))
            if "secret" in node and isinstance(node["secret"], dict):
                found.add(node["secret"].get("secretName"))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for obj in objects:
        if obj["kind"] != "Secret":
            visit(obj.get("spec", {}))
    return found


@pytest.mark.parametrize(("chart", "base", "values", "generated"), CASES, ids=[c[0] for c in CASES])
def test_existing_secret_is_referenced_instead_of_generated(chart, base, values, generated) -> None:
    default = charts.render(chart_dir(chart), base)
    assert generated in {o["metadata"]["name"] for o in default if o["kind"] == "Secret"}, (
        f"{chart} does not generate {generated} by default"
    )
    objects = charts.render(chart_dir(chart), values)
    secrets = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    assert generated not in secrets, f"{chart} still generates {generated}"
    assert BYO in secret_references(objects), f"{chart} never references {BYO}"
    assert generated not in secret_references(objects), f"{chart} still references {generated}"
