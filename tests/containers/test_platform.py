"""The platform chart on real containers: values/local.yaml (plus the tier's overlay,
devstack/real_node_values.yaml) installed with `helm install --wait` into a
`local` cluster whose real node runs every pod, with images built here.

The tests run in file order on one release: install, readiness, `helm test`, the model
through its Service, the smoke load, Prometheus' targets, an upgrade, a PostgreSQL pod
deleted, uninstall. Needs root, the node's tools (`toolchain/setup.sh kube_node`) and a
Docker engine (started for the session when none answers).
"""

import base64
import html
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from devstack.cluster.local import LocalCluster
from devstack.node.node import unavailable_reason
from devstack.paths import PLATFORM_CHART
from devstack.pipelines.registry import local_registry, push_chart
from devstack.port_forward import port_forward
from devstack.real_node_platform import (
    OVERLAY,
    PROD_METRICS_IMAGES,
    build_platform_images,
)
from model_service.settings import DEFAULT_DATA as MODEL_DATA
from model_service.training.data import read_comments
from tests.containers.conftest import NOT_RUN_FOR_REAL
from tests.containers.platform_stack import (
    POLITE,
    SERVING_IMAGE,
    TROLL,
    kept_claims,
    pod_problems,
    pods,
    psql,
    real_node_cluster,
    restart_counts,
    secret_login,
    wait_for,
)
from tests.harness.api_contract import schemathesis_finds_no_failure
from tests.harness.helm_release import HelmRelease, profile_values
from tests.harness.readiness import settle
from tests.harness.web_client import WebClient

REASON = LocalCluster.unavailable_reason() or unavailable_reason()
pytestmark = [pytest.mark.containers, pytest.mark.skipif(bool(REASON), reason=f"{REASON}")]

CLUSTER = "platform-test"
NODE = "realnode-0"
RELEASE = "mlops"
NAMESPACE = "mlops"
# Claims of two installs (PostgreSQL, MLflow's artifacts, Prometheus' TSDB each).
VOLUMES = 6
# The second install: MLflow's auth (with the model's login) and metrics, PostgreSQL's
# exporter, and the model from the registry, trained in the cluster, as values/prod.yaml
# sets them.
AUTH_NAMESPACE = "mlops-auth"
READY_TIMEOUT = 300
NOT_REAL = {
    "harbor": "off in the tier's overlay: goharbor's sources are not reachable here (the Go "
    "module proxy serves no tagged github.com/goharbor/harbor/src; its portal, migrations "
    "and Photon image recipes live only in its Git repository)",
    "grafana": "off in the tier's overlay: Grafana's server module is AGPL-licensed, which "
    "this project does not build, and its frontend is a separate webpack build",
    "nfs-provisioner": "off in values/local.yaml: the kubelet mounts NFS volumes with the "
    "kernel's NFS client, and the tier loads no kernel module (that would change the host)",
    "curl (helm test pods)": "runs for real, from Debian's curl of the pinned major "
    "under the chart's curlimages/curl tag, not upstream's Alpine build",
}


@pytest.fixture(scope="module")
def images(docker_engine, troll_image: str) -> list[str]:
    start = time.monotonic()
    # Only the images pods run: the bases they were built on stay in Docker. The first
    # install serves the baked image; the second, the chart's own serving image.
    references = build_platform_images(
        (*PROD_METRICS_IMAGES, "troll-classifier", "troll-classifier-training")
    )
    references.append(troll_image)
    print(f"\nimages ready in {time.monotonic() - start:.1f}s: {references}")
    return sorted(set(references))


@pytest.fixture(scope="module")
def cluster(images: list[str]) -> Iterator[LocalCluster]:
    NOT_RUN_FOR_REAL.update(NOT_REAL)
    with real_node_cluster(CLUSTER, images, VOLUMES) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def release(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> HelmRelease:
    """The first install takes the chart as users do after a release: packaged, pushed to
    an OCI registry (one on 127.0.0.1, started for it) and installed by its reference."""
    release = HelmRelease(cluster.kubeconfig, RELEASE, NAMESPACE)
    values = profile_values("local", yaml.safe_load(OVERLAY.read_text()))
    work = tmp_path_factory.mktemp("chart-registry")
    with local_registry(work / "registry") as registry:
        pushed = push_chart(registry, PLATFORM_CHART, work / "package")
        print(f"\nchart pushed: {pushed.reference}:{pushed.version}@{pushed.digest}")
        start = time.monotonic()
        release.install_from_registry(pushed.reference, pushed.version, values)
        print(f"helm install --wait from {pushed.reference} took {time.monotonic() - start:.1f}s")
    return release


def service_url_port(release: HelmRelease, component: str) -> tuple[str, int]:
    """svc/<release>-<component> and its first port, from the release's manifest."""
    name = f"{release.name}-{component}"
    for obj in release.objects():
        if obj["kind"] == "Service" and obj["metadata"]["name"] == name:
            return f"svc/{name}", obj["spec"]["ports"][0]["port"]
    raise LookupError(f"{release} has no Service {name}")


def postgres_pod(release: HelmRelease) -> str:
    [sts] = [o for o in release.objects() if o["kind"] == "StatefulSet"]
    return f"{sts['metadata']['name']}-0"


def all_real_and_ready(cluster: LocalCluster, namespace: str = NAMESPACE) -> list[str]:
    items = pods(cluster, namespace)
    return [p for pod in items for p in pod_problems(pod, NODE)] or ([] if items else ["no pods"])


def test_install_runs_every_pod_on_the_real_node_ready_by_its_probes(
    cluster: LocalCluster, release: HelmRelease
) -> None:
    assert release.current().status.value == "deployed"
    problems = settle(lambda: all_real_and_ready(cluster), READY_TIMEOUT)
    assert not problems, problems
    items = pods(cluster, NAMESPACE)
    print(f"\nrestart counts: {restart_counts(items)}")
    print(cluster.kubectl("get", "pods", "-A", "-o", "wide"))
    print(
        cluster.kubectl(
            "get",
            "pods",
            "-n",
            NAMESPACE,
            "-o",
            "custom-columns=POD:.metadata.name,NODE:.spec.nodeName,"
            "CONTAINER:.status.containerStatuses[*].containerID",
        )
    )
    # Every workload of the release has its pod here: nothing stayed on a fake node.
    owners = {
        ref["name"].rsplit("-", 1)[0] if ref["kind"] == "ReplicaSet" else ref["name"]
        for pod in items
        for ref in pod["metadata"].get("ownerReferences", [])
    }
    workloads = {
        o["metadata"]["name"]
        for o in release.objects()
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }
    assert workloads <= owners, f"workloads without a pod on {NODE}: {workloads - owners}"


def helm_test_succeeds(release: HelmRelease) -> None:
    run = release.run_tests()
    assert run.returncode == 0, run.output
    expected = set(release.test_hooks())
    assert set(run.phases) == expected and set(run.phases.values()) == {"Succeeded"}, run.output


def test_helm_test_pods_run_for_real_and_succeed(release: HelmRelease) -> None:
    helm_test_succeeds(release)


def test_classify_through_the_service_answers_correctly(
    cluster: LocalCluster, release: HelmRelease
) -> None:
    target, port = service_url_port(release, "troll-classifier")
    with port_forward(cluster, NAMESPACE, target, port) as url:
        response = httpx.post(f"{url}/classify", json={"texts": [TROLL, POLITE]}, timeout=60)
    assert response.status_code == 200, response.text
    troll, polite = response.json()
    assert (troll["label"], polite["label"]) == ("troll", "not_troll"), response.json()
    assert troll["score"] > polite["score"]


def secret_value(cluster: LocalCluster, namespace: str, secret: str, key: str) -> str:
    encoded = cluster.kubectl(
        "get", "secret", "-n", namespace, secret, "-o", f"jsonpath={{.data.{key}}}"
    )
    return base64.b64decode(encoded).decode()


def test_the_web_app_classifies_through_the_model_and_its_admin_reaches_the_data(
    cluster: LocalCluster, release: HelmRelease
) -> None:
    """The web app's pod, through its Service: the try-it page answers from the model's
    pod, and the first admin (password from the chart's kept Secret) signs in and sees
    the labelled comments the pod seeded into the platform's PostgreSQL."""
    target, port = service_url_port(release, "webapp")
    password = secret_value(cluster, NAMESPACE, f"{RELEASE}-webapp", "admin-password")
    with port_forward(cluster, NAMESPACE, target, port) as url:
        web = WebClient(url)
        assert web.get("/").status_code == 200
        answer = web.post("/classify", {"text": TROLL})
        assert answer.status_code == 200 and 'data-label="troll"' in answer.text, answer.text
        assert web.sign_in("admin", password).status_code == 303
        stats = web.get("/workbench/stats")
    rows = len(read_comments(MODEL_DATA, max_chars=1000).comments)
    assert f"{rows} labelled comments" in stats.text, stats.text[:2000]
    # It waited for PostgreSQL at start instead of crashing until it answered.
    restarts = restart_counts(pods(cluster, NAMESPACE, "-l", "app.kubernetes.io/name=webapp"))
    assert set(restarts.values()) == {0}, restarts


def test_schemathesis_finds_no_failure_through_the_service(
    cluster: LocalCluster, release: HelmRelease, tmp_path: Path
) -> None:
    target, port = service_url_port(release, "troll-classifier")
    with port_forward(cluster, NAMESPACE, target, port) as url:
        schemathesis_finds_no_failure(url, tmp_path)


def test_the_smoke_load_profile_passes_through_the_service(
    cluster: LocalCluster, release: HelmRelease, tmp_path: Path
) -> None:
    target, port = service_url_port(release, "troll-classifier")
    with port_forward(cluster, NAMESPACE, target, port) as url:
        run = subprocess.run(
            [sys.executable, "-m", "loadtests", "run", "--profile", "smoke", "--host", url]
            + ["--out", str(tmp_path / "smoke")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert run.returncode == 0, f"loadtests exited {run.returncode}:\n{run.stdout}\n{run.stderr}"


def scrape_targets(url: str) -> dict[str, str]:
    """{app_kubernetes_io_name: "up", or the health and Prometheus' last error} of its
    active targets."""
    answer = httpx.get(f"{url}/api/v1/targets", params={"state": "active"}, timeout=10)
    answer.raise_for_status()
    return {
        t["labels"].get("app_kubernetes_io_name", t["labels"].get("job", "?")): (
            t["health"] if t["health"] == "up" else f"{t['health']}: {t.get('lastError', '')}"
        )
        for t in answer.json()["data"]["activeTargets"]
    }


def expected_scrape_targets(release: HelmRelease) -> set[str]:
    """Workloads whose pods the chart annotates for scraping, by app.kubernetes.io/name."""
    return {
        o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        for o in release.objects()
        if o["kind"] in ("Deployment", "StatefulSet")
        and o["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/scrape")
        == "true"
    }


def scraped_up(cluster: LocalCluster, release: HelmRelease, expected: set[str]) -> dict:
    """Prometheus' targets once every expected one is up; else fail, naming each one's
    state and last scrape error."""
    target, port = service_url_port(release, "monitoring-prometheus")
    targets: dict[str, str] = {}
    with port_forward(cluster, release.namespace, target, port) as url:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            targets = scrape_targets(url)
            if all(targets.get(name) == "up" for name in expected):
                return targets
            time.sleep(5)
    missing = {name: targets.get(name, "no target") for name in expected}
    raise AssertionError(f"Prometheus' targets not up within 120s: {missing}")


def test_prometheus_scrapes_the_model_and_the_annotated_components(
    cluster: LocalCluster, release: HelmRelease
) -> None:
    expected = expected_scrape_targets(release)
    assert "troll-classifier" in expected, expected
    targets = scraped_up(cluster, release, expected)
    print(f"\nPrometheus targets: {targets}")
    if "mlflow" not in expected:
        print("MLflow's metrics are off in values/local.yaml: its target is not expected")


@pytest.fixture(scope="module")
def kept_row(cluster: LocalCluster, release: HelmRelease) -> str:
    """A row written before the upgrade and the pod deletion."""
    note = f"written-before-{int(time.time())}"
    psql(
        cluster,
        NAMESPACE,
        postgres_pod(release),
        "CREATE TABLE IF NOT EXISTS tier_kept (note text); "
        f"INSERT INTO tier_kept VALUES ('{note}')",
    )
    return note


def pod_uids(cluster: LocalCluster, selector: str) -> set[str]:
    return {p["metadata"]["uid"] for p in pods(cluster, NAMESPACE, "-l", selector)}


def test_upgrade_rolls_the_model_and_postgresql_keeps_its_data(
    cluster: LocalCluster, release: HelmRelease, kept_row: str
) -> None:
    model = "app.kubernetes.io/name=troll-classifier"
    database = postgres_pod(release)
    before = pod_uids(cluster, model)
    database_uid = pods(cluster, NAMESPACE, "--field-selector", f"metadata.name={database}")
    values = release.user_values(release.current())
    batch = values["troll-classifier"].get("server", {}).get("maxBatchSize", 16) // 2
    values["troll-classifier"].setdefault("server", {})["maxBatchSize"] = batch
    release.upgrade(values, wait=True)

    after = wait_for(
        lambda: (u := pod_uids(cluster, model)) and not (u & before) and u,
        READY_TIMEOUT,
        "the model's pods replaced",
    )
    [pod] = [p for p in pods(cluster, NAMESPACE, "-l", model) if p["metadata"]["uid"] in after]
    env = cluster.kubectl(
        "exec", "-n", NAMESPACE, pod["metadata"]["name"], "--", "printenv", "TROLL_MAX_BATCH_SIZE"
    )
    assert env.strip() == str(batch)
    problems = settle(lambda: all_real_and_ready(cluster), READY_TIMEOUT)
    assert not problems, problems
    same = pods(cluster, NAMESPACE, "--field-selector", f"metadata.name={database}")
    assert same[0]["metadata"]["uid"] == database_uid[0]["metadata"]["uid"]
    assert psql(cluster, NAMESPACE, database, "SELECT note FROM tier_kept") == kept_row


def test_a_deleted_postgresql_pod_comes_back_with_its_data(
    cluster: LocalCluster, release: HelmRelease, kept_row: str
) -> None:
    database = postgres_pod(release)
    [old] = pods(cluster, NAMESPACE, "--field-selector", f"metadata.name={database}")
    cluster.kubectl("delete", "pod", "-n", NAMESPACE, database, "--wait=true", timeout=120)

    def back() -> bool:
        found = pods(cluster, NAMESPACE, "--field-selector", f"metadata.name={database}")
        return (
            bool(found)
            and found[0]["metadata"]["uid"] != old["metadata"]["uid"]
            and (not pod_problems(found[0], NODE))
        )

    wait_for(back, READY_TIMEOUT, f"{database} back and Ready")
    assert psql(cluster, NAMESPACE, database, "SELECT note FROM tier_kept") == kept_row


def test_uninstall_leaves_exactly_the_kept_claims(
    cluster: LocalCluster, release: HelmRelease
) -> None:
    kept = kept_claims(release.objects())
    assert kept, "the release keeps no claim: this check would prove nothing"
    release.uninstall(wait=True)
    wait_for(lambda: not pods(cluster, NAMESPACE), 120, f"no pods left in {NAMESPACE}")
    claims = cluster.kubectl("get", "pvc", "-n", NAMESPACE, "-o", "name").split()
    assert {c.removeprefix("persistentvolumeclaim/") for c in claims} == kept


@pytest.fixture(scope="module")
def auth_release(cluster: LocalCluster) -> Iterator[HelmRelease]:
    """values/local.yaml with MLflow's auth and metrics, PostgreSQL's exporter and its
    max_connections, and the model's source and training as values/prod.yaml sets them
    (the images are the local builds), in a namespace of its own (after the first
    release is gone: cluster-scoped names). `--wait` returns once the model pods serve
    the champion the first-champion Job trained under the model's login."""
    prod = profile_values("prod")
    model = prod["troll-classifier"]
    from_prod = {
        "mlflow": {key: prod["mlflow"][key] for key in ("auth", "metrics")},
        "postgresql": {key: prod["postgresql"][key] for key in ("metrics", "maxConnections")},
        "troll-classifier": {
            "image": SERVING_IMAGE,
            "model": model["model"],
            "training": model["training"],
        },
        # Its "Start retraining" makes Jobs from that CronJob, read back with the model's
        # MLflow login, as prod sets it.
        "webapp": {"training": {"enabled": True}, "mlflow": prod["webapp"]["mlflow"]},
    }
    assert from_prod["mlflow"]["auth"]["enabled"] and from_prod["mlflow"]["metrics"]["enabled"]
    assert from_prod["mlflow"]["auth"]["modelLogin"]["enabled"]
    assert from_prod["postgresql"]["metrics"]["enabled"]
    assert model["model"]["source"] == "registry" and model["training"]["enabled"]
    release = HelmRelease(cluster.kubeconfig, RELEASE, AUTH_NAMESPACE)
    start = time.monotonic()
    release.install(
        profile_values("local", yaml.safe_load(OVERLAY.read_text()), from_prod), timeout="15m"
    )
    took = time.monotonic() - start
    print(f"\nhelm install --wait (prod's metrics, MLflow auth, training) took {took:.1f}s")
    yield release
    release.uninstall(wait=True)


def test_with_mlflow_auth_and_metrics_every_pod_is_ready_and_helm_test_passes(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    problems = settle(lambda: all_real_and_ready(cluster, AUTH_NAMESPACE), READY_TIMEOUT)
    assert not problems, problems
    print(f"\nrestart counts: {restart_counts(pods(cluster, AUTH_NAMESPACE))}")
    helm_test_succeeds(auth_release)


def test_mlflow_refuses_anonymous_calls_and_admits_its_admin(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    secret = f"{auth_release.name}-mlflow-auth"
    password = cluster.kubectl(
        "get", "secret", "-n", AUTH_NAMESPACE, secret, "-o", "jsonpath={.data.admin-password}"
    )
    admin = auth_release.user_values(auth_release.current())["mlflow"]["auth"].get(
        "adminUsername", "admin"
    )
    target, port = service_url_port(auth_release, "mlflow")
    search = "/api/2.0/mlflow/experiments/search"
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        anonymous = httpx.get(f"{url}{search}", params={"max_results": 1}, timeout=30)
        signed_in = httpx.get(
            f"{url}{search}",
            params={"max_results": 1},
            auth=(admin, base64.b64decode(password).decode()),
            timeout=30,
        )
    assert anonymous.status_code == 401, anonymous.text
    assert signed_in.status_code == 200, signed_in.text


def test_the_model_is_trained_and_served_under_its_own_mlflow_login(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    """The first champion was registered by the model's login (an ordinary user), and
    the serving pods load it with the same login."""
    login = f"{auth_release.name}-mlflow-model-login"
    username, password = secret_login(cluster, AUTH_NAMESPACE, login)
    target, port = service_url_port(auth_release, "mlflow")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        user = httpx.get(
            f"{url}/api/2.0/mlflow/users/get",
            params={"username": username},
            auth=(username, password),
            timeout=30,
        )
        champion = httpx.get(
            f"{url}/api/2.0/mlflow/registered-models/alias",
            params={"name": "troll-classifier", "alias": "champion"},
            auth=(username, password),
            timeout=30,
        )
    assert user.status_code == 200 and user.json()["user"]["is_admin"] is False, user.text
    assert champion.status_code == 200, champion.text
    version = champion.json()["model_version"]["version"]
    target, port = service_url_port(auth_release, "troll-classifier")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        info = httpx.post(f"{url}/model_info", json={}, timeout=30).json()
    assert (info["name"], info["version"]) == ("troll-classifier", version), info


def test_mlflow_metrics_refuse_anonymous_scrapes_and_admit_the_scrape_login(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    login = secret_login(cluster, AUTH_NAMESPACE, f"{auth_release.name}-mlflow-scrape-login")
    target, port = service_url_port(auth_release, "mlflow")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        anonymous = httpx.get(f"{url}/metrics", timeout=30)
        wrong = httpx.get(f"{url}/metrics", auth=(login[0], "not-the-password"), timeout=30)
        scraper = httpx.get(f"{url}/metrics", auth=tuple(login), timeout=30)
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert scraper.status_code == 200, scraper.text[:300]
    assert "mlflow_http_request_total" in scraper.text


def test_prometheus_scrapes_the_model_postgresql_and_mlflow_with_its_login(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    # MLflow's basic-auth app guards /metrics too: up means Prometheus logged in.
    # PostgreSQL's target is its postgres-exporter sidecar.
    expected = expected_scrape_targets(auth_release)
    assert {"troll-classifier", "mlflow", "postgresql"} <= expected, expected
    print(f"\nPrometheus targets: {scraped_up(cluster, auth_release, expected)}")
    # Up only says the exporter answered; pg_up says it reached the database.
    target, port = service_url_port(auth_release, "monitoring-prometheus")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        answer = httpx.get(f"{url}/api/v1/query", params={"query": "pg_up"}, timeout=10)
        settings = httpx.get(
            f"{url}/api/v1/query", params={"query": "pg_settings_max_connections"}, timeout=10
        )
    values = [r["value"][1] for r in answer.raise_for_status().json()["data"]["result"]]
    assert values == ["1"], answer.text
    # The server runs with the chart's max_connections (prod's, not PostgreSQL's 100).
    limit = profile_values("prod")["postgresql"]["maxConnections"]
    values = [r["value"][1] for r in settings.raise_for_status().json()["data"]["result"]]
    assert values == [str(limit)], settings.text


def failing_training_job(release: HelmRelease, name: str) -> dict:
    """A Job from the training CronJob's own template, its MLflow address a closed port
    and no retry: it fails at once, as a run fails when MLflow is gone."""
    [cronjob] = [o for o in release.objects() if o["kind"] == "CronJob"]
    template = cronjob["spec"]["jobTemplate"]
    spec = {**template["spec"], "backoffLimit": 0}
    [container] = spec["template"]["spec"]["containers"]
    broken = {"MLFLOW_TRACKING_URI": "http://127.0.0.1:9", "TROLL_DEPENDENCY_WAIT_SECONDS": "0"}
    container["env"] = [
        {"name": e["name"], "value": broken[e["name"]]} if e["name"] in broken else e
        for e in container["env"]
    ] + [{"name": "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "value": "0"}]  # no client retries
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": release.namespace, **template["metadata"]},
        "spec": spec,
    }


def firing_alerts(url: str, name: str) -> list[dict]:
    answer = httpx.get(f"{url}/api/v1/alerts", timeout=10).raise_for_status()
    return [
        a
        for a in answer.json()["data"]["alerts"]
        if a["labels"]["alertname"] == name and a["state"] == "firing"
    ]


def test_a_failed_training_run_fires_its_alert_in_prometheus(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    """kube-state-metrics reports the failed Job, and Prometheus fires TrainingRunFailed
    for it (the first champion's run succeeded before it, so nothing else fires)."""
    name = "training-mlflow-unreachable"
    job = failing_training_job(auth_release, name)
    target, port = service_url_port(auth_release, "monitoring-prometheus")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        assert firing_alerts(url, "TrainingRunFailed") == []
        start = time.monotonic()
        cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(job))
        cluster.kubectl(
            "wait",
            "-n",
            AUTH_NAMESPACE,
            f"job/{name}",
            "--for=condition=Failed",
            "--timeout=180s",
            timeout=200,
        )
        failed_after = time.monotonic() - start
        alerts: list[dict] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not alerts:
            alerts = firing_alerts(url, "TrainingRunFailed")
            time.sleep(5)
        fired_after = time.monotonic() - start
    log = cluster.kubectl("logs", "-n", AUTH_NAMESPACE, f"job/{name}")
    print(
        f"\nJob failed after {failed_after:.0f}s, alert firing after {fired_after:.0f}s; "
        f"the run's last line: {log.strip().splitlines()[-1]}"
    )
    assert [a["labels"]["job_name"] for a in alerts] == [name], alerts
    assert "127.0.0.1:9" in log.strip().splitlines()[-1], log[-500:]


def training_state(page: str, request_id: str) -> tuple[str, str]:
    """(data-state, the outcome's text) of a request's row on the training page."""
    row = re.search(
        rf'<tr data-state="(\w+)">\s*<td>{request_id}<br>.*?<td class="outcome">(.*?)</td>',
        page,
        re.S,
    )
    assert row, f"no row for {request_id}"
    return row.group(1), html.unescape(row.group(2))


def test_an_admin_starts_a_retraining_in_the_web_app_and_sees_the_gates_verdict(
    cluster: LocalCluster, auth_release: HelmRelease
) -> None:
    """The web app's pod makes a Job from the training CronJob with its own service
    account; the Job trains on the real node, and the page follows the run in MLflow
    (read with the model's login) to the gate's verdict."""
    secret = f"{auth_release.name}-webapp"
    password = secret_value(cluster, AUTH_NAMESPACE, secret, "admin-password")
    target, port = service_url_port(auth_release, "webapp")
    with port_forward(cluster, AUTH_NAMESPACE, target, port) as url:
        web = WebClient(url)
        assert web.sign_in("admin", password).status_code == 303
        web.get("/workbench/training")
        start = time.monotonic()
        [started] = web.submit("/workbench/training")
        assert started.startswith("Retraining ") and "started (" in started, started
        request_id = started.split()[1]
        state, outcome = "starting", ""
        # "unknown" too: MLflow may be slow to answer while the run logs to it.
        while state in ("starting", "training", "pending", "unknown"):
            assert time.monotonic() - start < 900, f"still {state} after 15 min: {outcome}"
            time.sleep(10)
            state, outcome = training_state(web.get("/workbench/training").text, request_id)
    print(
        f"\nretraining {request_id} from the web app: {outcome} after "
        f"{time.monotonic() - start:.0f}s"
    )
    assert state in ("promoted", "refused"), outcome
    jobs = cluster.kubectl("get", "jobs", "-n", AUTH_NAMESPACE, "-o", "name")
    assert f"job.batch/{auth_release.name}-troll-classifier-training-web-{request_id}" in jobs
