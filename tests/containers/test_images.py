"""The images built here (devstack/images), run as their charts run them: the rendered
pod's user, read-only root, no capabilities, no privilege escalation, env and volumes.
Skipped, with the command that gets one, when no Docker engine answers."""

import secrets
from pathlib import Path

import httpx
import pytest
import yaml

from devstack.images import docker as engine
from devstack.images.build import Outcome, build
from devstack.images.recipes import RECIPES
from devstack.paths import REPO_ROOT
from tests.containers.chart_pods import ChartPods, docker, render_chart

pytestmark = pytest.mark.containers

PROBE_TIMEOUT = 120


@pytest.fixture(scope="module", autouse=True)
def engine_answers(docker_engine) -> None:
    """Every test here needs the engine (started for the session when none runs)."""


@pytest.fixture
def pods(tmp_path: Path):
    running = ChartPods(tmp_path)
    try:
        yield running
    finally:
        running.cleanup()


@pytest.fixture(scope="module")
def postgres_build() -> list[Outcome]:
    """The PostgreSQL image and its base, built or found cached."""
    return build(["postgresql"])


@pytest.fixture(scope="module")
def postgres_image(postgres_build: list[Outcome]) -> str:
    return postgres_build[-1].reference


def postgres_secrets(objects: list[dict]) -> dict[str, str]:
    """A fresh password for every secret variable the chart's pod reads."""
    [statefulset] = [o for o in objects if o["kind"] == "StatefulSet"]
    env = statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: secrets.token_hex(12) for e in env if "valueFrom" in e}


def psql(
    pods: ChartPods,
    container: str,
    password: str,
    sql: str,
    *,
    user: str = "postgres",
    database: str = "postgres",
) -> str:
    """psql over TCP to the container's own address, so pg_hba's host rule applies."""
    result = docker(
        "exec",
        "--env",
        f"PGPASSWORD={password}",
        container,
        "psql",
        "--no-psqlrc",
        "--tuples-only",
        "--no-align",
        "--host",
        pods.ip(container),
        "--username",
        user,
        "--dbname",
        database,
        "--command",
        sql,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"psql as {user} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def test_images_are_labelled_local_builds_under_the_chart_references(
    postgres_build: list[Outcome], postgres_image: str
) -> None:
    # Only what this build made: on a new machine no other image exists yet.
    assert [o.name for o in postgres_build] == ["debian-base-trixie", "postgresql"]
    for outcome in postgres_build:
        labels = engine.image_labels(outcome.reference)
        assert labels is not None, f"{outcome.reference} is not built"
        assert labels[engine.LOCAL_BUILD_LABEL] == outcome.name
        assert labels[engine.VERSION_LABEL] == RECIPES[outcome.name].version()
    [statefulset] = [o for o in render_chart("postgresql") if o["kind"] == "StatefulSet"]
    assert statefulset["spec"]["template"]["spec"]["containers"][0]["image"] == postgres_image


def test_a_second_build_is_cached(postgres_image) -> None:
    before = engine.image_id(postgres_image)
    outcomes = build(["postgresql"])
    assert {o.action for o in outcomes} == {"cached"}
    assert engine.image_id(postgres_image) == before


def test_postgresql_initialises_serves_and_keeps_its_data(postgres_image, pods) -> None:
    objects = render_chart("postgresql")
    passwords = postgres_secrets(objects)
    run_args = pods.run_args(objects, "StatefulSet", passwords)
    [statefulset] = [o for o in objects if o["kind"] == "StatefulSet"]
    probe = statefulset["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["exec"]

    first = pods.start("postgresql-0", run_args)
    pods.wait_for_exec(first, probe["command"], PROBE_TIMEOUT)
    superuser = passwords["POSTGRES_PASSWORD"]
    assert psql(pods, first, superuser, "SELECT current_user") == "postgres"
    with pytest.raises(AssertionError, match="password authentication failed"):
        psql(pods, first, "not-" + superuser, "SELECT 1")
    # The chart's bootstrap script ran from /docker-entrypoint-initdb.d at first start.
    owners = {
        line.split("|")[0]: line.split("|")[1]
        for line in psql(
            pods,
            first,
            superuser,
            "SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba",
        ).splitlines()
    }
    assert owners["mlflow"] == "mlflow"
    assert (
        psql(
            pods,
            first,
            passwords["OWNER_PASSWORD_MLFLOW"],
            "SELECT current_user",
            user="mlflow",
            database="mlflow",
        )
        == "mlflow"
    )
    psql(pods, first, superuser, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('x1')")

    # A new container on the same volume: the pod deleted and back.
    pods.remove(first)
    second = pods.start("postgresql-0-again", run_args)
    pods.wait_for_exec(second, probe["command"], PROBE_TIMEOUT)
    assert psql(pods, second, superuser, "SELECT note FROM kept") == "x1"
    logs = docker("logs", second).stderr
    assert "holds a database" in logs and "initialising" not in logs


def test_postgresql_refuses_an_empty_data_dir_without_a_password(postgres_image, pods) -> None:
    objects = render_chart("postgresql")
    passwords = {**postgres_secrets(objects), "POSTGRES_PASSWORD": ""}
    container = pods.start("postgresql-nopass", pods.run_args(objects, "StatefulSet", passwords))
    assert pods.wait_for_exit(container, 60) != 0
    assert "POSTGRES_PASSWORD is not set" in docker("logs", container).stderr


def probe_of(objects: list[dict], kind: str, container: str) -> dict:
    """The container's httpGet readiness probe, its named port resolved to a number."""
    for workload in (o for o in objects if o["kind"] == kind):
        for spec in workload["spec"]["template"]["spec"]["containers"]:
            if spec["name"] == container:
                http = dict(spec["readinessProbe"]["httpGet"])
                ports = {p["name"]: p["containerPort"] for p in spec.get("ports", [])}
                http["port"] = ports.get(http["port"], http["port"])
                return http
    raise LookupError(f"no {kind} container {container} with a readiness probe")


def test_troll_classifier_answers_classify(troll_image, pods) -> None:
    """The baked image, as values/local.yaml serves it (the model in the image)."""
    local = yaml.safe_load((REPO_ROOT / "values" / "local.yaml").read_text())["troll-classifier"]
    baked = {key: local[key] for key in ("image", "model", "training")}
    objects = render_chart("troll-classifier", baked)
    run_args = pods.run_args(objects, "Deployment", {})
    assert troll_image in run_args, f"the chart runs another image: {run_args}"
    container = pods.start("troll-classifier", run_args)
    probe = probe_of(objects, "Deployment", "troll-classifier")
    url = pods.wait_for_http(container, probe, PROBE_TIMEOUT)
    texts = ["Thanks, that fixed it for me!", "Only an idiot would believe that, wake up."]
    response = httpx.post(f"{url}/classify", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    results = response.json()
    assert len(results) == len(texts)
    for result in results:
        assert result["label"] in {"troll", "not_troll"}
        assert 0.0 <= result["score"] <= 1.0


@pytest.fixture(scope="module")
def mlflow_image() -> str:
    [*_, outcome] = build(["mlflow"])
    return outcome.reference


@pytest.fixture(scope="module")
def prometheus_image() -> str:
    [*_, outcome] = build(["prometheus"])
    return outcome.reference


def test_mlflow_migrates_its_database_and_serves_on_postgresql(
    postgres_image, mlflow_image, pods
) -> None:
    database = render_chart("postgresql")
    passwords = postgres_secrets(database)
    postgres = pods.start("postgresql", pods.run_args(database, "StatefulSet", passwords))
    [statefulset] = [o for o in database if o["kind"] == "StatefulSet"]
    ready = statefulset["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["exec"]
    pods.wait_for_exec(postgres, ready["command"], PROBE_TIMEOUT)
    # The Service name the chart's PGHOST names, pointed at the database container.
    [service] = [o for o in database if o["kind"] == "Service" and "clusterIP" not in o["spec"]]
    hosts = {service["metadata"]["name"]: pods.ip(postgres)}

    objects = render_chart("mlflow")
    secrets_ = {"PGPASSWORD": passwords["OWNER_PASSWORD_MLFLOW"]}
    migrate = pods.start(
        "mlflow-db-upgrade", pods.run_args(objects, "Deployment", secrets_, "db-upgrade"), hosts
    )
    assert pods.wait_for_exit(migrate, PROBE_TIMEOUT) == 0, docker("logs", migrate).stderr
    server = pods.start("mlflow", pods.run_args(objects, "Deployment", secrets_, "mlflow"), hosts)
    probe = probe_of(objects, "Deployment", "mlflow")
    url = pods.wait_for_http(server, probe, PROBE_TIMEOUT)
    headers = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}
    name = f"containers-tier-{secrets.token_hex(4)}"
    created = httpx.post(
        f"{url}/api/2.0/mlflow/experiments/create", json={"name": name}, headers=headers
    )
    assert created.status_code == 200, created.text
    found = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": name},
        headers=headers,
    )
    assert found.json()["experiment"]["experiment_id"] == created.json()["experiment_id"]


def test_prometheus_starts_with_the_charts_configuration(prometheus_image, pods) -> None:
    objects = render_chart("monitoring")
    run_args = pods.run_args(objects, "Deployment", {}, "prometheus")
    assert prometheus_image in run_args, f"the chart runs another image: {run_args}"
    container = pods.start("prometheus", run_args)
    probe = probe_of(objects, "Deployment", "prometheus")
    url = pods.wait_for_http(container, probe, PROBE_TIMEOUT)
    config = httpx.get(f"{url}/api/v1/status/config").json()["data"]["yaml"]
    assert "scrape_configs" in config
    flags = httpx.get(f"{url}/api/v1/status/flags").json()["data"]
    assert flags["storage.tsdb.path"] == "/prometheus"
