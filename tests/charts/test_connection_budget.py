"""PostgreSQL's connection budget (charts/platform/templates/_connection-budget.tpl).

The chart adds up its consumers' pools from values. These tests add them up again from
what the render hands each program (replicas, rollout strategy, worker flags, pool
settings in the environment), so the budget cannot drift from the pods it describes.
"""

import math
import re

import pytest

from devstack import charts
from devstack.paths import PLATFORM_CHART, chart_dir
from tests.harness.helm_release import profile_values

BIG = {"postgresql": {"maxConnections": 10000}}
TINY = {"postgresql": {"maxConnections": 10}}
# Artifacts off the pod's volume: MLflow then rolls its updates (a surge pod).
S3_ARTIFACTS = {"store": "s3", "s3": {"bucket": "artifacts", "existingSecret": "s3"}}
REFUSED = re.compile(r"the platform may open (\d+) connections at once")


def env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def peak_pods(deployment: dict) -> int:
    """Pods of a Deployment during a rollout: replicas plus the surge Kubernetes adds."""
    spec = deployment["spec"]
    replicas = spec.get("replicas", 1)
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return replicas
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
    if isinstance(surge, str):
        surge = math.ceil(replicas * int(surge.rstrip("%")) / 100)
    return replicas + surge


def connections_of_rendered_pods(objects: list[dict]) -> dict[str, int]:
    """Each consumer's most connections at once, read from the rendered workloads."""
    found = {}
    for obj in objects:
        if obj["kind"] in {"Job", "CronJob"} and "TROLL_DATASET_URL" in str(obj):
            found["training"] = found.get("training", 0) + 1  # one connection per run
        if obj["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        component = obj["metadata"]["labels"].get("app.kubernetes.io/component", "")
        name = f"{obj['metadata']['labels']['app.kubernetes.io/name']} {component}".strip()
        for container in obj["spec"]["template"]["spec"]["containers"]:
            variables = env(container)
            if container["name"] == "mlflow":
                args = container["args"]
                workers = int(next(a for a in args if a.startswith("--workers=")).split("=")[1])
                pools = 3 if "--app-name=basic-auth" in args else 2
                per_pool = int(variables["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE"]) + int(
                    variables["MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW"]
                )
                found["mlflow"] = peak_pods(obj) * workers * pools * per_pool
            elif "POSTGRESQL_MAX_OPEN_CONNS" in variables:  # Harbor core
                found[name] = peak_pods(obj) * int(variables["POSTGRESQL_MAX_OPEN_CONNS"])
            elif container["name"] == "jobservice":  # takes core's database settings
                found[name] = peak_pods(obj) * core_max_open(objects)
            elif variables.get("GF_DATABASE_TYPE") == "postgres":
                found["grafana"] = peak_pods(obj) * int(variables["GF_DATABASE_MAX_OPEN_CONN"])
            elif container["name"] == "metrics" and "DATA_SOURCE_URI" in variables:
                found["postgres-exporter"] = 1
            elif container["name"] == "webapp":
                config = configmap_of(objects, container)
                if "@mlops-postgresql:" in config["WEBAPP_DATABASE_URL"]:
                    found["webapp"] = peak_pods(obj) * int(config["WEBAPP_DATABASE_POOL_SIZE"])
    return found


def configmap_of(objects: list[dict], container: dict) -> dict[str, str]:
    """The data of the ConfigMap a container takes its environment from."""
    [name] = [source["configMapRef"]["name"] for source in container["envFrom"]]
    [config] = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == name]
    return config["data"]


def core_max_open(objects: list[dict]) -> int:
    [value] = [
        env(c)["POSTGRESQL_MAX_OPEN_CONNS"]
        for o in objects
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
        if "POSTGRESQL_MAX_OPEN_CONNS" in env(c)
    ]
    return int(value)


def max_connections(objects: list[dict]) -> tuple[int, int]:
    """max_connections and superuser_reserved_connections as the server is started."""
    [args] = [
        c["args"]
        for o in objects
        if o["kind"] == "StatefulSet"
        for c in o["spec"]["template"]["spec"]["containers"]
        if c["name"] == "postgresql"
    ]
    settings = dict(a.split("=", 1) for a in args if "=" in a)
    return int(settings["max_connections"]), int(settings["superuser_reserved_connections"])


def refused_total(values: dict) -> int:
    with pytest.raises(Exception, match="PostgreSQL connection budget") as refused:
        charts.render(PLATFORM_CHART, values)
    return int(REFUSED.search(str(refused.value)).group(1))


def test_prod_fits_its_budget_as_the_servers_are_started() -> None:
    objects = charts.render(PLATFORM_CHART, profile_values("prod"))
    used = connections_of_rendered_pods(objects)
    limit, reserved = max_connections(objects)
    assert set(used) == {
        "mlflow",
        "harbor core",
        "harbor jobservice",
        "grafana",
        "postgres-exporter",
        "training",
        "webapp",
    }
    assert sum(used.values()) <= limit - reserved, (used, limit, reserved)


def test_prod_at_postgresqls_default_is_refused_with_the_numbers() -> None:
    """prod's consumers may open more than PostgreSQL's default 100 accepts."""
    values = profile_values("prod", {"postgresql": {"maxConnections": 100}})
    with pytest.raises(Exception, match="PostgreSQL connection budget") as refused:
        charts.render(PLATFORM_CHART, values)
    message = str(refused.value)
    assert "postgresql.maxConnections 100 leaves 97 (3 reserved" in message
    assert "mlflow 60 = 1 pod x 4 workers x 3 pools (tracking, registry, auth)" in message
    assert "harbor core 30 = 3 pods x 10" in message
    assert "mlflow.database.pool.size/maxOverflow" in message


@pytest.mark.parametrize(
    "overlay",
    [
        {},
        {"mlflow": {"replicas": 3, "server": {"workers": 3}, "database": {"pool": {"size": 4}}}},
        {"mlflow": {"artifacts": S3_ARTIFACTS}},
        {"mlflow": {"auth": {"enabled": False}}, "harbor": {"core": {"replicas": 5}}},
        {"harbor": {"jobservice": {"replicas": 3}, "database": {"maxOpenConns": 40}}},
        {"monitoring": {"grafana": {"database": {"maxOpenConns": 50}}}},
        {"troll-classifier": {"model": {"source": "registry"}, "training": {"enabled": True}}},
        {"webapp": {"replicas": 4, "database": {"poolSize": 6}}},
    ],
    ids=[
        "prod",
        "mlflow-3x3",
        "mlflow-rolling",
        "harbor-5-cores",
        "jobservice-3",
        "grafana-50",
        "training",
        "webapp-4x6",
    ],
)
def test_the_budget_is_what_the_rendered_pods_may_open(overlay: dict) -> None:
    """Raise each count in turn: the chart's total (from its refusal at a tiny limit)
    equals the sum read back from the pods it renders."""
    used = connections_of_rendered_pods(
        charts.render(PLATFORM_CHART, profile_values("prod", overlay, BIG))
    )
    assert refused_total(profile_values("prod", overlay, TINY)) == sum(used.values()), used


def test_consumers_on_another_server_are_not_counted() -> None:
    """A consumer whose database host is set uses some other server: off the budget."""
    elsewhere = {"database": {"host": "db.example.com"}}
    values = profile_values(
        "prod", {"mlflow": elsewhere, "harbor": elsewhere, "webapp": elsewhere}, TINY
    )
    total = refused_total(values)
    assert total == 10 + 1 + 2  # Grafana's pool, the exporter, two training runs


def test_reserve_must_be_below_max_connections() -> None:
    values = {"maxConnections": 10, "superuserReservedConnections": 10}
    with pytest.raises(Exception, match=r"superuserReservedConnections \(10\) must be below"):
        charts.render(chart_dir("postgresql"), values)
