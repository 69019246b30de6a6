"""A real node beside the kwok nodes: real containers, Services, DNS, logs, exec,
port-forward, and a teardown that leaves the host as it was (devstack/node).

One `local` cluster with `real_nodes=1` for the module; the last test deletes it and
checks the host. Needs root and the node's tools (`toolchain/setup.sh kube_node`).
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from devstack import processes
from devstack.cluster.local import LocalCluster
from devstack.node import host
from devstack.node.namespace import PRIVATE_PATHS
from devstack.node.node import (
    NODE_LABEL,
    abandoned_nodes,
    images,
    leftovers,
    reclaim_abandoned_nodes,
    unavailable_reason,
)
from devstack.port_forward import port_forward

REASON = LocalCluster.unavailable_reason() or unavailable_reason()
pytestmark = [pytest.mark.containers, pytest.mark.skipif(bool(REASON), reason=f"{REASON}")]

CLUSTER = "realnode-test"
NS = "default"
WEB_REPLICAS = 2
# The tests' pods as a restricted Pod Security profile wants them.
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def netcheck_pod_spec(image: str, port: int) -> dict:
    return {
        "nodeSelector": NODE_LABEL,
        "containers": [
            {
                "name": "netcheck",
                "image": image,
                "imagePullPolicy": "Never",
                "args": ["serve", f":{port}"],
                "ports": [{"containerPort": port}],
                "securityContext": RESTRICTED,
                "readinessProbe": {"httpGet": {"path": "/", "port": port}, "periodSeconds": 1},
            }
        ],
    }


def workloads(image: str) -> list[dict]:
    labels = {"app": "web"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {
                "replicas": WEB_REPLICAS,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": netcheck_pod_spec(image, 8080),
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "client", "namespace": NS},
            "spec": netcheck_pod_spec(image, 8081),
        },
    ]


@pytest.fixture(scope="module")
def host_before() -> dict:
    # An interrupted earlier run's node is torn down first: this checks our teardown.
    for line in reclaim_abandoned_nodes():
        print(f"\n{line}")
    found = leftovers()
    assert not found, f"the host already holds a real node's leftovers: {found}"
    return {
        "sysctls": host.sysctl_snapshot(),
        "paths": sorted(p for p in PRIVATE_PATHS if Path(p).exists()),
    }


@pytest.fixture(scope="module")
def cluster(host_before: dict) -> Iterator[LocalCluster]:
    cluster = LocalCluster(CLUSTER, real_nodes=1)
    start = time.monotonic()
    cluster.create()
    print(
        f"\ncluster with a real node up in {time.monotonic() - start:.1f}s; "
        f"node timings: {cluster.real_node.timings}"
    )
    try:
        cluster.kubectl(
            "apply", "-f", "-", stdin=yaml.safe_dump_all(workloads(images()["netcheck"].ref))
        )
        cluster.kubectl("rollout", "status", "deployment/web", "--timeout=90s", timeout=100)
        cluster.kubectl("wait", "--for=condition=Ready", "pod/client", "--timeout=60s", timeout=70)
        yield cluster
    finally:
        cluster.delete()  # a no-op once the last test did it


def pods(cluster: LocalCluster, *selector: str, namespace: str = NS) -> list[dict]:
    return json.loads(cluster.kubectl("get", "pods", "-n", namespace, *selector, "-o", "json"))[
        "items"
    ]


def running_tasks(cluster: LocalCluster) -> dict[str, int]:
    """containerd's running tasks on the node: container ID -> host PID."""
    out = subprocess.run(
        [*cluster.real_node.ctr(), "-n", "k8s.io", "tasks", "ls"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        line.split()[0]: int(line.split()[1])
        for line in out.splitlines()[1:]
        if line.split()[2] == "RUNNING"
    }


def test_the_real_node_is_ready_beside_the_fake_ones(cluster: LocalCluster) -> None:
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json"))["items"]
    ready = {
        n["metadata"]["name"]: next(
            c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"
        )
        for n in nodes
    }
    assert ready.pop("realnode-0") == "True"
    assert ready and set(ready.values()) == {"True"}, ready
    real = next(n for n in nodes if n["metadata"]["name"] == "realnode-0")
    assert real["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    assert "kwok.x-k8s.io/node" not in real["metadata"].get("annotations", {})


def test_restricted_pods_run_in_real_containers(cluster: LocalCluster) -> None:
    tasks = running_tasks(cluster)
    for pod in pods(cluster, "-l", "app=web"):
        status = pod["status"]["containerStatuses"][0]
        assert pod["spec"]["nodeName"] == "realnode-0"
        assert status["ready"], pod["metadata"]["name"]
        runtime, _, container_id = status["containerID"].partition("://")
        assert runtime == "containerd"
        # The kernel's view of the container's process: non-root, no capabilities.
        proc = Path(f"/proc/{tasks[container_id]}/status").read_text()
        assert re.search(r"^Uid:\s+65532\s", proc, re.M), proc
        assert re.search(r"^CapEff:\s+0+$", proc, re.M), proc
        assert pod["status"]["podIP"].startswith("10.244.0.")


def test_coredns_is_ready_on_the_node(cluster: LocalCluster) -> None:
    (coredns,) = pods(cluster, "-l", "k8s-app=kube-dns", namespace="kube-system")
    status = coredns["status"]["containerStatuses"][0]
    assert status["ready"] and status["containerID"].startswith("containerd://")


def test_a_service_name_reaches_every_replica_through_kube_proxy(cluster: LocalCluster) -> None:
    answers = set()
    for _ in range(20):
        out = cluster.kubectl(
            "exec",
            "client",
            "--",
            "/netcheck",
            "get",
            "http://web.default.svc.cluster.local/",
            timeout=30,
        )
        answers.add(out.strip())
        if len(answers) == WEB_REPLICAS:
            break
    web = {f"netcheck {p['metadata']['name']}" for p in pods(cluster, "-l", "app=web")}
    assert answers == web


def test_logs_show_the_requests(cluster: LocalCluster) -> None:
    cluster.kubectl("exec", "client", "--", "/netcheck", "get", "http://web/", timeout=30)
    logs = cluster.kubectl("logs", "-l", "app=web", "--tail=-1", "--prefix")
    assert "GET / from" in logs


def test_port_forward_reaches_the_service(cluster: LocalCluster) -> None:
    with (
        port_forward(cluster, NS, "svc/web", 80) as url,
        urllib.request.urlopen(f"{url}/", timeout=10) as answer,
    ):
        assert answer.read().decode().startswith("netcheck web-")


def test_every_pod_on_the_real_node_runs_containerd_containers(cluster: LocalCluster) -> None:
    """Also prints the listing the report quotes (real container IDs on the real node)."""
    print("\n" + cluster.kubectl("get", "pods", "-A", "-o", "wide"))
    columns = "custom-columns=POD:.metadata.name,NODE:.spec.nodeName,"
    columns += "CONTAINER:.status.containerStatuses[0].containerID"
    listing = cluster.kubectl("get", "pods", "-A", "--no-headers", "-o", columns)
    print(listing)
    rows = [line.split() for line in listing.splitlines() if line.strip()]
    on_node = [row for row in rows if row[1] == "realnode-0"]
    assert on_node, f"no pod on realnode-0:\n{listing}"
    assert all(row[2].startswith("containerd://") for row in on_node), listing


def test_teardown_leaves_the_host_as_it_was(cluster: LocalCluster, host_before: dict) -> None:
    root = cluster.real_node.root
    assert host.kubepods_cgroups() and any(
        link["ifname"] == "cni0" for link in host.links("bridge")
    ), "the node made no cgroups or bridge: this check would prove nothing"
    start = time.monotonic()
    cluster.delete()
    print(f"\nteardown in {time.monotonic() - start:.1f}s")
    assert leftovers(root) == []
    assert host.sysctl_changes(host_before["sysctls"]) == []
    assert sorted(p for p in PRIVATE_PATHS if Path(p).exists()) == host_before["paths"]
    assert not root.exists() and not cluster.state.exists()


def test_teardown_after_the_api_server_died(cluster: LocalCluster, host_before: dict) -> None:
    """A run that failed badly: pods running, then the control plane gone. Nothing can be
    deleted through the API; the host cleanup alone must still leave nothing behind."""
    cluster.delete()  # one host holds one real node: the module's goes first
    crashed = LocalCluster(f"{CLUSTER}-crash", real_nodes=1)
    crashed.create()
    try:
        crashed.kubectl(
            "apply", "-f", "-", stdin=yaml.safe_dump_all(workloads(images()["netcheck"].ref))
        )
        crashed.kubectl("rollout", "status", "deployment/web", "--timeout=90s", timeout=100)
        assert len(running_tasks(crashed)) >= 2 * (WEB_REPLICAS + 1)  # web, CoreDNS: pause + app
        apiserver = int((crashed.cluster_dir / "pids" / "kube-apiserver.pid").read_text())
        os.kill(apiserver, signal.SIGKILL)
    finally:
        root = crashed.real_node.root
        # A later run's object, as after a crash: it knows only the name.
        LocalCluster(crashed.name).delete()
    assert leftovers(root) == []
    assert host.sysctl_changes(host_before["sysctls"]) == []
    assert sorted(p for p in PRIVATE_PATHS if Path(p).exists()) == host_before["paths"]


def test_a_killed_runs_node_is_reclaimed_by_the_next_run(
    cluster: LocalCluster, host_before: dict
) -> None:
    """A run killed outright (every process of its cluster and node gone, pods still
    running): the next run, of any checkout, tears its node down before starting one."""
    cluster.delete()  # one host holds one real node: the module's goes first
    killed = LocalCluster(f"{CLUSTER}-killed", real_nodes=1)
    killed.create()
    root = killed.real_node.root
    try:
        killed.kubectl(
            "apply", "-f", "-", stdin=yaml.safe_dump_all(workloads(images()["netcheck"].ref))
        )
        killed.kubectl("rollout", "status", "deployment/web", "--timeout=90s", timeout=100)
        assert root not in abandoned_nodes(), "a running node must never count as abandoned"
        recorded = [*(killed.cluster_dir / "pids").glob("*.pid"), *(root / "pids").glob("*.pid")]
        pids = [int(pidfile.read_text()) for pidfile in recorded]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        processes.wait_until(lambda: not any(processes.alive(pid) for pid in pids), 10, "the kill")
        assert host.processes_in_kubepods(), "the pods should outlive the killed run"
        assert root in abandoned_nodes()
        print("\n" + "\n".join(reclaim_abandoned_nodes()))
    finally:
        LocalCluster(killed.name).delete()
    assert leftovers(root) == []
    assert host.sysctl_changes(host_before["sysctls"]) == []
    assert sorted(p for p in PRIVATE_PATHS if Path(p).exists()) == host_before["paths"]
