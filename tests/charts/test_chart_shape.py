"""Every subchart has the same shape: the same rooms, the same value names, one
workload per template file, and UIDs and ports in values rather than templates."""

import re

import pytest
import yaml

from devstack import charts
from tests.harness import workloads

WORKLOAD_KIND = re.compile(r"^kind: (Deployment|StatefulSet|DaemonSet|Job|CronJob)\s*$", re.M)
# A literal UID or port in a template: `runAsUser: 1000`, `containerPort: 8080`, `port: 80`
# (DNS, port 53, is the cluster's, not a chart's).
LITERAL_UID = re.compile(r"\b(runAsUser|runAsGroup|fsGroup):\s*[0-9]+\b")
LITERAL_PORT = re.compile(r"\b(containerPort|port|targetPort):\s*(?!53\b)[0-9]+\b")
ROOMS = (
    ".helmignore",
    "Chart.yaml",
    "README.md",
    "values.yaml",
    "values.schema.json",
    "values.schema.src.json",
    "templates/_helpers.tpl",
)


def subcharts() -> list[charts.Chart]:
    return [c for c in charts.discover_charts() if not c.is_library and c.name != charts.UMBRELLA]


def renders_pods(chart: charts.Chart) -> bool:
    return any(
        WORKLOAD_KIND.search(t.read_text()) for t in (chart.path / "templates").glob("*.yaml")
    )


def default_values(chart: charts.Chart) -> dict:
    return yaml.safe_load((chart.path / "values.yaml").read_text()) or {}


def keys(node, prefix=""):
    """Every dotted key path of a values tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{prefix}{key}"
            yield from keys(value, f"{prefix}{key}.")


@pytest.mark.parametrize("chart", subcharts(), ids=lambda c: c.name)
def test_subchart_has_every_room(chart: charts.Chart) -> None:
    missing = [room for room in ROOMS if not (chart.path / room).is_file()]
    if not list((chart.path / "ci").glob("*.yaml")):
        missing.append("ci/*.yaml (values exercising the chart's options)")
    if renders_pods(chart):
        missing += [
            f"templates/{name}"
            for name in ("serviceaccount.yaml",)
            if not (chart.path / "templates" / name).is_file()
        ]
    assert not missing, f"{chart.name} lacks {missing}"


@pytest.mark.parametrize("chart", subcharts(), ids=lambda c: c.name)
def test_charts_with_replicas_have_a_disruption_budget(chart: charts.Chart) -> None:
    has_replicas = any(k.split(".")[-1] == "replicas" for k in keys(default_values(chart)))
    if not has_replicas:
        pytest.skip(f"{chart.name} runs single-instance workloads only")
    assert (chart.path / "templates" / "poddisruptionbudget.yaml").is_file(), chart.name
    values = default_values(chart)
    assert values["podDisruptionBudget"]["enabled"] is True, (
        f"{chart.name}: the budget should be on by default (it renders only above one replica)"
    )


@pytest.mark.parametrize("chart", subcharts(), ids=lambda c: c.name)
def test_value_names_are_shared(chart: charts.Chart) -> None:
    paths = set(keys(default_values(chart)))
    assert not [p for p in paths if p.endswith("replicaCount")], f"{chart.name}: use `replicas`"
    if not renders_pods(chart):
        return
    wanted = ["podSecurityContext", "containerSecurityContext", "serviceAccount.create"]
    wanted += ["containerPorts", "podAntiAffinity", "topologySpreadConstraints"]
    missing = [w for w in wanted if not any(p == w or p.endswith("." + w) for p in paths)]
    assert not missing, f"{chart.name}/values.yaml lacks {missing}"


@pytest.mark.parametrize("chart", subcharts(), ids=lambda c: c.name)
def test_one_workload_per_template_file(chart: charts.Chart) -> None:
    crowded = {
        t.name: len(WORKLOAD_KIND.findall(t.read_text()))
        for t in (chart.path / "templates").glob("*.yaml")
    }
    crowded = {name: n for name, n in crowded.items() if n > 1}
    assert not crowded, f"{chart.name}: split these into one file per component: {crowded}"


@pytest.mark.parametrize("chart", subcharts(), ids=lambda c: c.name)
def test_uids_and_ports_live_in_values(chart: charts.Chart) -> None:
    found = [
        f"{t.name}: {m.group(0)}"
        for t in sorted((chart.path / "templates").glob("*"))
        for pattern in (LITERAL_UID, LITERAL_PORT)
        for m in pattern.finditer(t.read_text())
    ]
    assert not found, f"{chart.name} hard-codes in templates: {found}"


def test_every_pod_uses_a_service_account_without_a_token_unless_it_calls_the_api() -> None:
    # The pods that call the API server: Prometheus (service discovery), kube-state-metrics
    # (Jobs, CronJobs), the NFS provisioner (PVCs -> PVs; in the server pod it gets a
    # projected token instead), Harbor's bootstrap Job (its pull Secret) and the web app
    # (Jobs from the training CronJob, with training.enabled, its default).
    api_clients = {
        ("Deployment", "monitoring-prometheus"),
        ("Deployment", "monitoring-kube-state-metrics"),
        ("Deployment", "nfs-provisioner"),
        ("Job", "harbor-bootstrap"),
        ("Deployment", "webapp"),
    }
    for chart in subcharts():
        if not renders_pods(chart):
            continue
        objects = charts.render(chart.path, {})
        accounts = {o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"}
        for w in workloads.workloads(objects):
            name = w.pod_spec.get("serviceAccountName")
            assert name in accounts, f"{w.kind}/{w.name} uses ServiceAccount {name!r}, not rendered"
            automount = w.pod_spec.get("automountServiceAccountToken")
            calls_api = any(w.kind == kind and w.name.endswith(c) for kind, c in api_clients)
            assert automount is calls_api, (
                f"{w.kind}/{w.name}: automountServiceAccountToken={automount}"
            )
