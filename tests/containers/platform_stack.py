"""The platform chart on a real node as the containers tier checks it: the pods' state,
SQL in the PostgreSQL pod, the claims uninstall keeps. Its volumes, overlay, images and
port-forwards are devstack's (devstack/real_node_platform.py, devstack/port_forward.py),
shared with `make up`."""

import base64
import contextlib
import json
import time
from collections.abc import Iterator

import yaml

from devstack.cluster.local import LocalCluster
from devstack.node.node import leftovers, reclaim_abandoned_nodes
from devstack.paths import chart_dir
from devstack.real_node_platform import load_images, make_local_volumes

# The chart's own serving image (no model in it; values/local.yaml swaps in the baked
# one): what an install that serves the registry's champion runs.
SERVING_IMAGE = {
    key: yaml.safe_load((chart_dir("troll-classifier") / "values.yaml").read_text())["image"][key]
    for key in ("registry", "repository")
}

# A comment the model must call a troll, and one it must let through.
TROLL = "You're a clueless moron and everyone in this thread knows it."
POLITE = "Thanks for the detailed answer, it fixed my build."


@contextlib.contextmanager
def real_node_cluster(name: str, images: list[str], volumes: int) -> Iterator[LocalCluster]:
    """A `local` cluster with a real node, `images` imported into it and `volumes` local
    volumes on it. A node an interrupted earlier run left is torn down first, then the
    host must be clean; after the cluster is deleted it must be clean again."""
    for line in reclaim_abandoned_nodes():
        print(f"\n{line}")
    found = leftovers()
    assert not found, f"the host already holds a real node's leftovers: {found}"
    cluster = LocalCluster(name, real_nodes=1)
    try:
        start = time.monotonic()
        cluster.create()
        print(f"\ncluster with a real node up in {time.monotonic() - start:.1f}s")
        start = time.monotonic()
        load_images(cluster, images)
        print(f"images imported into the node in {time.monotonic() - start:.1f}s")
        make_local_volumes(cluster, volumes)
        yield cluster
    finally:
        cluster.delete()
        left = leftovers()
        assert not left, f"the real node's teardown left: {left}"


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


def psql(
    cluster: LocalCluster, namespace: str, pod: str, sql: str, database: str = "postgres"
) -> str:
    """SQL as the superuser inside the PostgreSQL pod, over TCP with the pod's password."""
    script = 'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U postgres -d "$2" -Atqc "$1"'
    out = cluster.kubectl(
        "exec", "-n", namespace, pod, "--", "sh", "-c", script, "psql", sql, database, timeout=60
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


def secret_login(cluster: LocalCluster, namespace: str, secret: str) -> tuple[str, str]:
    """(username, password) from a Secret that holds a login under those two keys."""
    username, password = (
        base64.b64decode(
            cluster.kubectl(
                "get", "secret", "-n", namespace, secret, "-o", f"jsonpath={{.data.{key}}}"
            )
        ).decode()
        for key in ("username", "password")
    )
    return username, password
