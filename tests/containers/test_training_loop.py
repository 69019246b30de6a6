"""The closed loop on real containers: a fresh install whose model comes from the MLflow
registry trains its own first champion in the cluster (the first-champion Job, in the
training image, without torch), the serving pods become Ready on it, then new labelled
rows and a run of the continuous-training CronJob promote a new version that every
serving pod swaps in without a restart, while a Locust run through the Service spans
the swap.

values/local.yaml with the tier's overlay, model.source registry and training on; two
serving replicas behind the Service; Prometheus off (not under test here). The tests
run in file order on one release. Needs root, the node's tools and a Docker engine.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from devstack.cluster.local import LocalCluster
from devstack.images.build import build
from devstack.node.node import unavailable_reason
from devstack.port_forward import port_forward
from devstack.real_node_platform import OVERLAY
from loadtests import results
from model_service.training import dataset_table
from tests.containers.platform_stack import (
    POLITE,
    SERVING_IMAGE,
    TROLL,
    pod_problems,
    pods,
    psql,
    real_node_cluster,
    restart_counts,
    wait_for,
)
from tests.harness.helm_release import HelmRelease, profile_values

REASON = LocalCluster.unavailable_reason() or unavailable_reason()
pytestmark = [pytest.mark.containers, pytest.mark.skipif(bool(REASON), reason=f"{REASON}")]

CLUSTER = "training-test"
NODE = "realnode-0"
RELEASE = "mlops"
NAMESPACE = "mlops"
SERVING = "app.kubernetes.io/name=troll-classifier,app.kubernetes.io/component=server"
SERVICE = f"{RELEASE}-troll-classifier"
DATABASE_POD = f"{RELEASE}-postgresql-0"
POLL_SECONDS = 5
# Claims: PostgreSQL's data and MLflow's artifacts.
VOLUMES = 2
TRAINING_VALUES = {
    "monitoring": {"enabled": False},
    # The loop under test is training and serving; the web app has its own tests, and
    # its pod would only share the 2-core node.
    "webapp": {"enabled": False},
    "troll-classifier": {
        "replicas": 2,
        "image": SERVING_IMAGE,
        "model": {"source": "registry", "registry": {"pollSeconds": POLL_SECONDS}},
        "training": {
            "enabled": True,
            # A few new rows move the scores by a hair either way; the loop, not the
            # gate's strictness, is under test (the gate has tests of its own).
            "gate": {"maxDrop": 0.05, "maxSliceDrop": 0.3},
            # Beside two serving pods, PostgreSQL and MLflow on a 2-core node.
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "2", "memory": "3Gi"},
            },
        },
    },
}
NEW_ROWS = [
    ("Cute theory. Did your mum help you write it, or is this all your own work?", 1),
    ("Imagine being this confidently wrong in public. Couldn't be me.", 1),
    ("I see it differently: the benchmark leaves out warm-up, which matters here.", 0),
    ("Thanks, I had not thought about the time zone; that explains the gap.", 0),
]
# Before the swap, then a run long enough to span training and the swap.
BASELINE_RUN = "30s"
SWAP_RUN_SECONDS = 240


@pytest.fixture(scope="module")
def images(docker_engine) -> list[str]:
    start = time.monotonic()
    wanted = ("postgresql", "mlflow", "troll-classifier", "troll-classifier-training")
    built = [o.reference for o in build(list(wanted)) if o.name in wanted]
    print(f"\nimages ready in {time.monotonic() - start:.1f}s")
    return sorted(built)


@pytest.fixture(scope="module")
def cluster(images: list[str]) -> Iterator[LocalCluster]:
    with real_node_cluster(CLUSTER, images, VOLUMES) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def install(cluster: LocalCluster) -> HelmRelease:
    """`helm install --wait` of a fresh release: it returns once the serving pods are
    Ready, which needs the champion the first-champion Job trains meanwhile."""
    release = HelmRelease(cluster.kubeconfig, RELEASE, NAMESPACE)
    values = profile_values("local", yaml.safe_load(OVERLAY.read_text()), TRAINING_VALUES)
    start = time.monotonic()
    release.install(values, wait=True, timeout="15m")
    took = time.monotonic() - start
    print(f"\nfresh install to a Ready service (helm install --wait): {took:.0f}s")
    return release


def serving_pods(cluster: LocalCluster) -> list[dict]:
    return pods(cluster, NAMESPACE, "-l", SERVING)


def model_info_of_each_pod(cluster: LocalCluster) -> dict[str, dict]:
    """/model_info of every serving pod, each reached on its own (not through the Service)."""
    found = {}
    for pod in serving_pods(cluster):
        name = pod["metadata"]["name"]
        with port_forward(cluster, NAMESPACE, f"pod/{name}", 3000) as url:
            found[name] = httpx.post(f"{url}/model_info", json={}, timeout=30).json()
    return found


def service_url(cluster: LocalCluster) -> str:
    """The Service's cluster IP, which kube-proxy balances over the serving pods (the
    host reaches it through kube-proxy's rules, as a pod does)."""
    service = json.loads(cluster.kubectl("get", "service", "-n", NAMESPACE, SERVICE, "-o", "json"))
    return f"http://{service['spec']['clusterIP']}:{service['spec']['ports'][0]['port']}"


def job_succeeded(cluster: LocalCluster, name: str) -> bool:
    job = json.loads(cluster.kubectl("get", "job", "-n", NAMESPACE, name, "-o", "json"))
    return bool(job["status"].get("succeeded"))


def labelled_rows(cluster: LocalCluster) -> int:
    sql = f"SELECT count(*) FROM {dataset_table.TABLE}"
    return int(psql(cluster, NAMESPACE, DATABASE_POD, sql, database="training"))


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def locust(url: str, run_time: str, out: Path) -> subprocess.Popen:
    """The smoke profile's users for `run_time` against the Service (a cluster network
    this test made, hence --allow-remote)."""
    return subprocess.Popen(
        [sys.executable, "-m", "loadtests", "run", "--profile", "smoke", "--host", url]
        + ["--run-time", run_time, "--out", str(out), "--allow-remote"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(run: subprocess.Popen, timeout: float) -> str:
    output, _ = run.communicate(timeout=timeout)
    assert run.returncode == 0, f"loadtests exited {run.returncode}:\n{output[-4000:]}"
    return output


def test_a_fresh_install_trains_its_first_champion_and_serves_it(
    cluster: LocalCluster, install: HelmRelease
) -> None:
    jobs = json.loads(cluster.kubectl("get", "jobs", "-n", NAMESPACE, "-o", "json"))["items"]
    [first] = [j["metadata"]["name"] for j in jobs if "first-champion" in j["metadata"]["name"]]
    # Ready serving pods mean a champion exists, so the Job is done or about to be.
    wait_for(lambda: job_succeeded(cluster, first), 120, "the first-champion Job to succeed")
    problems = [p for pod in pods(cluster, NAMESPACE) for p in pod_problems(pod, NODE)]
    assert not problems, problems
    infos = model_info_of_each_pod(cluster)
    assert len(infos) == 2 and {i["version"] for i in infos.values()} == {"1"}, infos
    with port_forward(cluster, NAMESPACE, f"svc/{SERVICE}", 3000) as url:
        answer = httpx.post(f"{url}/classify", json={"texts": [TROLL, POLITE]}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert [r["label"] for r in answer.json()] == ["troll", "not_troll"], answer.json()


def test_new_rows_and_a_cronjob_run_are_swapped_in_by_every_pod_without_a_restart(
    cluster: LocalCluster, install: HelmRelease, tmp_path: Path
) -> None:
    before = labelled_rows(cluster)
    restarts = restart_counts(serving_pods(cluster))
    url = service_url(cluster)

    baseline = locust(url, BASELINE_RUN, tmp_path / "before")
    finished(baseline, 120)
    during = locust(url, f"{SWAP_RUN_SECONDS}s", tmp_path / "during")
    load_started = time.monotonic()
    try:
        rows = ", ".join(f"({quoted(text)}, {label}, 'new')" for text, label in NEW_ROWS)
        sql = f"INSERT INTO {dataset_table.TABLE} (text, label, category) VALUES {rows}"
        psql(cluster, NAMESPACE, DATABASE_POD, sql, database="training")
        started = time.monotonic()
        # The manual run the chart documents.
        cronjob = f"cronjob/{RELEASE}-troll-classifier-training"
        cluster.kubectl("create", "job", "-n", NAMESPACE, "retrain-now", f"--from={cronjob}")
        wait_for(lambda: job_succeeded(cluster, "retrain-now"), 300, "the CronJob's run")
        trained = time.monotonic() - started
        swapped = wait_for(
            lambda: (
                (i := model_info_of_each_pod(cluster))
                and {v["version"] for v in i.values()} == {"2"}
                and i
            ),
            6 * POLL_SECONDS + 60,
            "every serving pod to serve version 2",
        )
        seen = time.monotonic() - started
        assert time.monotonic() - load_started < SWAP_RUN_SECONDS, "the Locust run ended first"
    finally:
        output = finished(during, SWAP_RUN_SECONDS + 120)
    print(
        f"\nretrain Job done {trained:.0f}s after it was created; every pod served version 2 "
        f"{seen:.0f}s after; pods: {sorted(swapped)}"
    )
    assert restart_counts(serving_pods(cluster)) == restarts
    assert labelled_rows(cluster) == before + len(NEW_ROWS)
    base, swap = results.load(tmp_path / "before"), results.load(tmp_path / "during")
    print(
        f"Locust before the swap: {base.total.requests} requests, {base.total.failures} failed, "
        f"p95 {base.total.percentile(0.95)} ms; spanning it: {swap.total.requests} requests, "
        f"{swap.total.failures} failed, p95 {swap.total.percentile(0.95)} ms\n{output[-1500:]}"
    )
    assert swap.total.failures == 0 and swap.total.requests > 0
