"""The cluster itself, before any chart: the API server reports the pinned version,
workloads get scheduled and become available, volumes bind, Jobs and Helm test pods
complete. Under `local` the pod states come from kwok's stages (nothing runs): what is
proved is that the control plane accepts, schedules and reconciles these objects."""

import re

import kubernetes

from devstack.cluster import Cluster
from devstack.paths import pinned
from devstack.processes import wait_until

PAUSE = "registry.k8s.io/pause:3.10"
BUSYBOX = "busybox:1.37"


def test_version_is_the_pinned_release(cluster: Cluster, kube) -> None:
    info = kubernetes.client.VersionApi(kube).get_code()
    assert re.fullmatch(r"v1\.\d+\.\d+", info.git_version), info
    assert (info.major, info.minor.rstrip("+")) == ("1", info.git_version.split(".")[1])
    if cluster.provider == "local":
        assert info.git_version == pinned("KUBE_VERSION")
        assert info.git_tree_state == "clean"


def test_nodes_are_ready_with_architectures(cluster: Cluster, kube) -> None:
    nodes = kubernetes.client.CoreV1Api(kube).list_node().items
    ready = [n for n in nodes if _condition(n, "Ready") == "True"]
    assert ready, "no Ready node"
    if cluster.provider == "local":
        archs = sorted(n.metadata.labels["kubernetes.io/arch"] for n in ready)
        assert archs == ["amd64", "amd64", "arm64"]
        assert all(n.metadata.annotations.get("kwok.x-k8s.io/node") == "fake" for n in ready)


def test_deployment_becomes_available_on_a_node(cluster: Cluster, kube, namespace: str) -> None:
    apps, core = kubernetes.client.AppsV1Api(kube), kubernetes.client.CoreV1Api(kube)
    labels = {"app": "smoke"}
    apps.create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": "smoke"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeSelector": {"kubernetes.io/arch": "amd64"},
                        "containers": [{"name": "pause", "image": PAUSE}],
                    },
                },
            },
        },
    )

    def available() -> bool:
        status = apps.read_namespaced_deployment_status("smoke", namespace).status
        return (status.available_replicas or 0) == 2

    wait_until(available, timeout=60, what="deployment smoke to have 2 available replicas")
    pods = core.list_namespaced_pod(namespace, label_selector="app=smoke").items
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert len(pods) == 2
    for pod in pods:
        assert pod.status.phase == "Running"
        node = nodes[pod.spec.node_name]
        assert node.metadata.labels["kubernetes.io/arch"] == "amd64"
        if cluster.provider == "local":
            assert node.metadata.annotations.get("kwok.x-k8s.io/node") == "fake"
            assert pod.status.pod_ip, "kwok gives running pods an IP from the node's range"


def test_service_gets_endpoints(kube, namespace: str) -> None:
    apps, core = kubernetes.client.AppsV1Api(kube), kubernetes.client.CoreV1Api(kube)
    labels = {"app": "web"}
    apps.create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "pause", "image": PAUSE}]},
                },
            },
        },
    )
    core.create_namespaced_service(
        namespace,
        {"metadata": {"name": "web"}, "spec": {"selector": labels, "ports": [{"port": 80}]}},
    )
    discovery = kubernetes.client.DiscoveryV1Api(kube)

    def ready_endpoints() -> list[str]:
        slices = discovery.list_namespaced_endpoint_slice(
            namespace, label_selector="kubernetes.io/service-name=web"
        ).items
        return [
            a for s in slices for e in s.endpoints or [] if e.conditions.ready for a in e.addresses
        ]

    wait_until(lambda: bool(ready_endpoints()), timeout=60, what="a ready endpoint of svc web")


def test_pvc_binds(cluster: Cluster, kube, namespace: str) -> None:
    core = kubernetes.client.CoreV1Api(kube)
    core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )

    def bound() -> bool:
        claim = core.read_namespaced_persistent_volume_claim("data", namespace)
        return claim.status.phase == "Bound"

    wait_until(bound, timeout=60, what="PVC data to be Bound")
    pvc = core.read_namespaced_persistent_volume_claim("data", namespace)
    volume = core.read_persistent_volume(pvc.spec.volume_name)
    assert volume.spec.claim_ref.name == "data"
    assert volume.spec.capacity["storage"] == "1Gi"


def test_job_completes(kube, namespace: str) -> None:
    batch = kubernetes.client.BatchV1Api(kube)
    batch.create_namespaced_job(
        namespace,
        {
            "metadata": {"name": "once"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "run", "image": BUSYBOX, "command": ["true"]}],
                    }
                },
            },
        },
    )

    def complete() -> bool:
        job = batch.read_namespaced_job_status("once", namespace)
        return _condition(job, "Complete") == "True"

    wait_until(complete, timeout=60, what="job once to complete")


def test_helm_test_pod_succeeds_and_other_pods_keep_running(kube, namespace: str) -> None:
    core = kubernetes.client.CoreV1Api(kube)

    def bare_pod(name: str, annotations: dict, command: list[str]) -> dict:
        return {
            "metadata": {"name": name, "annotations": annotations},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": BUSYBOX, "command": command}],
            },
        }

    core.create_namespaced_pod(namespace, bare_pod("server", {}, ["sleep", "3600"]))
    core.create_namespaced_pod(
        namespace,
        bare_pod(
            "test-connection",
            {"helm.sh/hook": "test", "helm.sh/hook-delete-policy": "before-hook-creation"},
            ["true"],
        ),
    )

    def phase(name: str) -> str:
        return core.read_namespaced_pod_status(name, namespace).status.phase

    wait_until(
        lambda: phase("test-connection") == "Succeeded",
        timeout=60,
        what="the helm test pod to succeed",
    )
    wait_until(lambda: phase("server") == "Running", timeout=60, what="pod server to run")
    assert phase("server") == "Running", "a pod without the test hook must not complete"


def _condition(obj, kind: str) -> str | None:
    for condition in obj.status.conditions or []:
        if condition.type == kind:
            return condition.status
    return None
