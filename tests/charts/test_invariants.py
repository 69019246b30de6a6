"""Security and operability defaults on every container of every rendered workload."""

from pathlib import Path

import pytest
import yaml

from tests.harness import chart_cases, workloads

EXCEPTIONS = yaml.safe_load((Path(__file__).parent / "invariant-exceptions.yaml").read_text())


POD_RULES = workloads.POD_RULES
CONTAINER_RULES = workloads.CONTAINER_RULES


def waived(chart: str, rule: str, workload: str = "", container: str = "") -> bool:
    """An exception names its chart, rule and either the container (container rules)
    or the workload's component suffix (pod rules)."""
    return any(
        e["chart"] == chart
        and e["rule"] == rule
        and (
            e.get("container") == container
            if rule in CONTAINER_RULES
            else workload.endswith(e.get("workload", "\0"))
        )
        for e in EXCEPTIONS
    )


def each_workload(case: chart_cases.Case):
    found = list(workloads.workloads(chart_cases.render_case(case)))
    if not found:
        pytest.skip(f"{case.id} renders no workloads")
    return found


def test_pods_run_as_non_root_with_seccomp(rendered_case: chart_cases.Case) -> None:
    problems = [
        f"{w.kind}/{w.name}: {message}"
        for w in each_workload(rendered_case)
        for rule, message in workloads.pod_security_violations(w).items()
        if not waived(w.chart, rule, workload=w.name)
    ]
    assert not problems, "\n".join(problems)


def test_containers_are_locked_down(rendered_case: chart_cases.Case) -> None:
    problems = [
        f"{w.kind}/{w.name} container {c['name']}: {message}"
        for w in each_workload(rendered_case)
        for _, c in workloads.containers(w.pod_spec)
        for rule, message in workloads.container_security_violations(c, w.pod_spec).items()
        if not waived(w.chart, rule, container=c["name"])
    ]
    assert not problems, "\n".join(problems)


def test_containers_have_resources_and_pinned_images(rendered_case: chart_cases.Case) -> None:
    problems = [
        f"{w.kind}/{w.name} container {c['name']}: {p}"
        for w in each_workload(rendered_case)
        for _, c in workloads.containers(w.pod_spec)
        for p in workloads.resource_violations(c) + workloads.image_violations(c)
    ]
    assert not problems, "\n".join(problems)


def test_long_running_containers_have_probes(rendered_case: chart_cases.Case) -> None:
    problems = [
        f"{w.kind}/{w.name} container {c['name']}: {p}"
        for w in each_workload(rendered_case)
        if not w.runs_to_completion
        for kind, c in workloads.containers(w.pod_spec)
        if kind == "containers"
        for p in workloads.probe_violations(c)
    ]
    assert not problems, "\n".join(problems)


def test_pods_carry_standard_labels(rendered_case: chart_cases.Case) -> None:
    problems = [
        f"{w.kind}/{w.name}: {p}"
        for w in each_workload(rendered_case)
        for p in workloads.label_violations(w)
    ]
    assert not problems, "\n".join(problems)


def test_exceptions_name_real_rules_and_reasons() -> None:
    for entry in EXCEPTIONS:
        assert entry.get("reason"), f"exception without a reason: {entry}"
        assert entry["rule"] in POD_RULES | CONTAINER_RULES, entry
        key = "container" if entry["rule"] in CONTAINER_RULES else "workload"
        assert entry.get(key), f"exception for {entry['rule']} must name its {key}: {entry}"
