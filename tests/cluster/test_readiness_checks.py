"""The harness's checks can fail: each readiness check (tests/harness/readiness.py)
and the server-side dry run and existence check (tests/harness/kube_objects.py),
given something broken in its own way, names the broken object. Without this, a
check that never reports anything would let every install and dry-run test pass."""

import kubernetes
import pytest

from devstack.processes import wait_until
from tests.harness import kube_objects, readiness

PAUSE = "registry.k8s.io/pause:3.10"
LABELS = {"app": "web"}


def deployment(name: str, node_selector: dict | None = None) -> dict:
    container = {"name": "main", "image": PAUSE, "ports": [{"name": "http", "containerPort": 80}]}
    return {
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"nodeSelector": node_selector or {}, "containers": [container]},
            },
        },
    }


def service(name: str, target_port: str) -> dict:
    port = {"name": "web", "port": 80, "targetPort": target_port}
    return {"metadata": {"name": name}, "spec": {"selector": LABELS, "ports": [port]}}


@pytest.fixture
def apis(kube):
    return kubernetes.client.AppsV1Api(kube), kubernetes.client.CoreV1Api(kube)


def test_unschedulable_deployment_is_reported(kube, namespace, apis) -> None:
    apps, core = apis
    nowhere = deployment("nowhere", {"kubernetes.io/arch": "s390x"})
    apps.create_namespaced_deployment(namespace, nowhere)

    def unschedulable() -> bool:
        pods = core.list_namespaced_pod(namespace).items
        conditions = [c for p in pods for c in p.status.conditions or []]
        return any(c.type == "PodScheduled" and c.reason == "Unschedulable" for c in conditions)

    wait_until(unschedulable, timeout=30, what="the scheduler to find no node for the pod")
    problems = readiness.unavailable_workloads(kube, namespace)
    assert len(problems) == 1 and problems[0].startswith("Deployment nowhere: 0/1 available")


def test_service_whose_target_port_no_pod_has_is_reported(kube, namespace, apis) -> None:
    apps, core = apis
    apps.create_namespaced_deployment(namespace, deployment("web"))
    core.create_namespaced_service(namespace, service("good", "http"))
    core.create_namespaced_service(namespace, service("typo", "htttp"))

    def good_one_pending() -> list[str]:
        problems = readiness.services_without_endpoints(kube, namespace)
        return [p for p in problems if p.startswith("Service good:")]

    assert not readiness.settle(good_one_pending, 30), "Service good got no endpoint"
    problems = readiness.services_without_endpoints(kube, namespace)
    assert [p.split(":")[0] for p in problems] == ["Service typo"], problems


def test_claim_of_a_missing_class_is_reported(kube, namespace, apis) -> None:
    _, core = apis
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "no-such-class",
        "resources": {"requests": {"storage": "1Gi"}},
    }
    core.create_namespaced_persistent_volume_claim(
        namespace, {"metadata": {"name": "orphan"}, "spec": spec}
    )
    problems = readiness.unbound_claims(kube, namespace)
    assert problems == ["PersistentVolumeClaim orphan: Pending (storageClass no-such-class)"]


def test_ingress_to_a_missing_service_or_issuer_is_reported(kube, namespace, apis) -> None:
    _, core = apis
    core.create_namespaced_service(namespace, service("web", "http"))
    backend = {"service": {"name": "gone", "port": {"name": "web"}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    kubernetes.client.NetworkingV1Api(kube).create_namespaced_ingress(
        namespace,
        {
            "metadata": {
                "name": "site",
                "annotations": {readiness.ISSUER_ANNOTATION: "no-such-issuer"},
            },
            "spec": {
                "rules": [
                    {
                        "host": "a.example.com",
                        "http": {"paths": [path]},
                    }
                ],
                "tls": [{"hosts": ["b.example.com"]}],
            },
        },
    )
    problems = readiness.unwired_ingresses(kube, namespace, cluster_issuers={"real-issuer"})
    assert problems == [
        "Ingress site: no ingressClassName",
        "Ingress site /: Service gone does not exist",
        "Ingress site: TLS for ['b.example.com'] names no Secret",
        "Ingress site: TLS hosts ['b.example.com'] without a rule ({'a.example.com'})",
        "Ingress site: issuer no-such-issuer is not a ClusterIssuer of the release",
    ]


@pytest.mark.usefixtures("crds")
def test_routes_to_a_missing_gateway_listener_or_service_are_reported(
    kube, namespace, apis
) -> None:
    _, core = apis
    core.create_namespaced_service(namespace, service("web", "http"))
    client = kube_objects.dynamic(kube)
    gateway_listeners = [
        {"name": "http", "protocol": "HTTP", "port": 80},
        {
            "name": "https-a",
            "protocol": "HTTPS",
            "port": 443,
            "hostname": "a.example.com",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "a-tls"}]},
        },
    ]
    gateway = {
        "apiVersion": readiness.GATEWAY_API,
        "kind": "Gateway",
        "metadata": {
            "name": "edge",
            "annotations": {readiness.ISSUER_ANNOTATION: "no-such-issuer"},
        },
        "spec": {"gatewayClassName": "any", "listeners": gateway_listeners},
    }

    def route(name: str, parent: dict, host: str, backend: dict) -> dict:
        rule = {"backendRefs": [backend]}
        spec = {"parentRefs": [parent], "hostnames": [host], "rules": [rule]}
        return {
            "apiVersion": readiness.GATEWAY_API,
            "kind": "HTTPRoute",
            "metadata": {"name": name},
            "spec": spec,
        }

    web = {"name": "web", "port": 80}
    objects = [
        gateway,
        route("fine", {"name": "edge", "sectionName": "https-a"}, "a.example.com", web),
        route("no-gateway", {"name": "gone"}, "a.example.com", web),
        route("no-listener", {"name": "edge", "sectionName": "https-b"}, "a.example.com", web),
        route("wrong-host", {"name": "edge", "sectionName": "https-a"}, "b.example.com", web),
        route("no-service", {"name": "edge"}, "a.example.com", {"name": "gone", "port": 80}),
        route("no-port", {"name": "edge"}, "a.example.com", {"name": "web", "port": 81}),
    ]
    assert kube_objects.apply(client, objects, namespace) == []
    problems = readiness.unwired_routes(client, namespace, cluster_issuers={"real-issuer"})
    assert sorted(problems) == sorted(
        [
            "Gateway edge: issuer no-such-issuer is not a ClusterIssuer of the release",
            f"HTTPRoute no-gateway: Gateway {namespace}/gone does not exist",
            "HTTPRoute no-listener: Gateway edge has no listener https-b",
            "HTTPRoute wrong-host: no listener of Gateway edge accepts ['b.example.com']",
            "HTTPRoute no-service: Service gone does not exist",
            "HTTPRoute no-port: Service web has no port 81",
        ]
    )


def test_server_dry_run_reports_what_the_api_server_rejects_and_stores_nothing(
    kube, namespace
) -> None:
    client = kube_objects.dynamic(kube)
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fine"}}
    typo = {**good, "metadata": {"name": "typo"}, "dta": {"a": "b"}}
    invalid = {**good, "metadata": {"name": "Not_A_Name"}}
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    problems = kube_objects.apply(client, [good, typo, invalid, unknown], namespace, dry_run=True)
    assert [p.split(":")[0] for p in problems] == [
        "ConfigMap typo",
        "ConfigMap Not_A_Name",
        "Widget w",
    ], problems
    assert ".dta: field not declared in schema" in problems[0]
    assert kube_objects.missing(client, [good], namespace) == ["ConfigMap fine"]
