"""The platform chart on a real node: its volumes, the pods' state and the way in
(`kubectl port-forward`, also used by test_real_node.py)."""

import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from devstack.cluster.base import kubectl_binary
from devstack.cluster.local import LocalCluster

OVERLAY = Path(__file__).with_name("values-real-node.yaml")
# The overlay's class: pre-made `local` volumes on the node's disk. The kubelet applies a
# pod's fsGroup to them (unlike hostPath), as it does to a cloud disk.
STORAGE_CLASS = yaml.safe_load(OVERLAY.read_text())["global"]["storageClass"]
VOLUME_SIZE = "10Gi"


def local_volumes(node: str, root: Path, count: int) -> list[dict]:
    """A no-provisioner StorageClass and `count` local PersistentVolumes on `node`, each
    a directory under `root` (the node's own, removed with it)."""
    objects: list[dict] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS},
            "provisioner": "kubernetes.io/no-provisioner",
            # Bound where the pod is scheduled, so the claim follows the pod to the node.
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Retain",
        }
    ]
    for index in range(count):
        path = root / f"pv-{index}"
        path.mkdir(parents=True, exist_ok=True)
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"{STORAGE_CLASS}-{index}"},
                "spec": {
                    "capacity": {"storage": VOLUME_SIZE},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": STORAGE_CLASS,
                    "local": {"path": str(path)},
                    "nodeAffinity": {
                        "required": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/hostname",
                                            "operator": "In",
                                            "values": [node],
                                        }
                                    ]
                                }
                            ]
                        }
                    },
                },
            }
        )
    return objects


def pods(cluster: LocalCluster, namespace: str, *selector: str) -> list[dict]:
    out = cluster.kubectl("get", "pods", "-n", namespace, *selector, "-o", "json")
    return json.loads(out)["items"]


def pod_problems(pod: dict, node: str) -> list[str]:
    """Why a pod is not running for real on `node` (Ready, or Succeeded for a Job's)."""
    name = pod["metadata"]["name"]
    problems = []
    if pod["spec"].get("nodeName") != node:
        problems.append(f"{name} is on {pod['spec'].get('nodeName')!r}, not {node}")
    phase = pod["status"].get("phase")
    conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    if phase != "Succeeded" and conditions.get("Ready") != "True":
        problems.append(f"{name} is {phase}, not Ready")
    for status in pod["status"].get("containerStatuses", []):
        if not status.get("containerID", "").startswith("containerd://"):
            problems.append(f"{name}/{status['name']} has no containerd container")
    return problems


def restart_counts(items: list[dict]) -> dict[str, int]:
    return {
        f"{p['metadata']['name']}/{s['name']}": s["restartCount"]
        for p in items
        for s in p["status"].get("containerStatuses", [])
    }


def wait_for(check, timeout: float, what: str, interval: float = 2):
    """Until `check()` returns something truthy; raise with its last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not within {timeout:.0f}s (last: {last!r})")


@contextmanager
def port_forward(cluster: LocalCluster, namespace: str, target: str, port: int) -> Iterator[str]:
    """`kubectl port-forward TARGET :PORT`; yields http://127.0.0.1:<local port>."""
    argv = [kubectl_binary(), f"--kubeconfig={cluster.kubeconfig}", "-n", namespace]
    argv += ["port-forward", target, f":{port}"]
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as forward:
        try:
            assert forward.stdout is not None
            line = forward.stdout.readline()
            local = re.search(r"127\.0\.0\.1:(\d+)", line)
            if not local:
                rest = line + (forward.stdout.read() if forward.poll() is not None else "")
                raise AssertionError(f"kubectl port-forward {target} said: {rest!r}")
            yield f"http://127.0.0.1:{local[1]}"
        finally:
            forward.terminate()
            forward.wait(timeout=10)


def psql(cluster: LocalCluster, namespace: str, pod: str, sql: str) -> str:
    """SQL as the superuser inside the PostgreSQL pod, over TCP with the pod's password."""
    script = 'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U postgres -Atqc "$1"'
    out = cluster.kubectl(
        "exec", "-n", namespace, pod, "--", "sh", "-c", script, "psql", sql, timeout=60
    )
    return out.strip()


def kept_claims(objects: list[dict]) -> set[str]:
    """The claims `helm uninstall` leaves: those annotated resource-policy keep, and every
    StatefulSet's claims (Kubernetes never deletes those with the set)."""
    kept = {
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "PersistentVolumeClaim"
        and o["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep"
    }
    for sts in (o for o in objects if o["kind"] == "StatefulSet"):
        for template in sts["spec"].get("volumeClaimTemplates", []):
            for ordinal in range(sts["spec"].get("replicas", 1)):
                kept.add(f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}")
    return kept
