"""The invariant checks themselves: a bad pod spec must be reported, a good one not."""

from tests.harness import workloads

GOOD_CONTAINER = {
    "name": "app",
    "image": "docker.io/library/postgres:17.6",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
    "livenessProbe": {"tcpSocket": {"port": 1}},
    "readinessProbe": {"tcpSocket": {"port": 1}},
}


def deployment(pod_spec: dict, labels: dict | None = None) -> dict:
    return {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"metadata": {"labels": labels or {}}, "spec": pod_spec}},
    }


NON_ROOT_POD = {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000}}


def test_good_container_passes_every_check() -> None:
    assert workloads.container_security_violations(GOOD_CONTAINER, NON_ROOT_POD) == {}
    assert workloads.resource_violations(GOOD_CONTAINER) == []
    assert workloads.probe_violations(GOOD_CONTAINER) == []
    assert workloads.image_violations(GOOD_CONTAINER) == []


def test_insecure_container_is_reported_rule_by_rule() -> None:
    bad = {
        "name": "app",
        "securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
    }
    assert set(workloads.container_security_violations(bad)) == workloads.CONTAINER_RULES
    assert len(workloads.resource_violations(bad)) == 3
    assert len(workloads.probe_violations(bad)) == 2


def test_container_overriding_a_non_root_pod_to_root_is_reported() -> None:
    root = {
        **GOOD_CONTAINER,
        "securityContext": {**GOOD_CONTAINER["securityContext"], "runAsUser": 0},
    }
    assert set(workloads.container_security_violations(root, NON_ROOT_POD)) == {"runAsRoot"}


def test_floating_image_tags_are_reported() -> None:
    for image in ("postgres", "postgres:latest", "docker.io/library/postgres:latest"):
        assert workloads.image_violations({"image": image}), image
    for image in ("postgres:17.6", "quay.io/x/y:v0.17.1", "x/y@sha256:" + "a" * 64, "reg:5000/x:1"):
        assert not workloads.image_violations({"image": image}), image


def test_pod_security_and_labels_of_a_root_pod_are_reported() -> None:
    [w] = workloads.workloads(
        [deployment({"containers": [GOOD_CONTAINER], "securityContext": {"runAsUser": 0}})]
    )
    assert set(workloads.pod_security_violations(w)) == {"runAsNonRoot", "seccompProfile"}
    assert len(workloads.label_violations(w)) == 2


def test_every_pod_carrying_kind_is_found() -> None:
    pod = {"containers": [GOOD_CONTAINER]}
    objects = [
        deployment(pod),
        {
            "kind": "CronJob",
            "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}},
        },
        {"kind": "Pod", "metadata": {"name": "p"}, "spec": pod},
        {"kind": "ConfigMap", "metadata": {"name": "m"}},
    ]
    found = {(w.kind, w.name): w for w in workloads.workloads(objects)}
    assert set(found) == {("Deployment", "d"), ("CronJob", "c"), ("Pod", "p")}
    assert found[("CronJob", "c")].pod_spec == pod
    assert found[("Pod", "p")].runs_to_completion
