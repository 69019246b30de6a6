"""`make up` with real containers: a Docker engine (started if none answers), the
platform's images built here (the model's from the Bento `make model` records), the
`local` cluster with a real node, the images imported into it, static local volumes,
`helm upgrade --install` of values/local.yaml plus the real-node overlay, and
background `kubectl port-forward`s to MLflow, the model and Prometheus on 127.0.0.1.
Everything started is recorded in the run's state for `make status` and `make down`."""

import os
import shutil
import time
from pathlib import Path

from devstack.charts import NAMESPACE, RELEASE
from devstack.cluster import DEFAULT_NAME
from devstack.cluster.local import LocalCluster
from devstack.console import say
from devstack.images import docker as engine
from devstack.install import install_platform
from devstack.local_services import answers
from devstack.node.node import unavailable_reason as node_unavailable_reason
from devstack.port_forward import start_port_forward
from devstack.processes import alive, stop_process_tree, wait_until
from devstack.real_node_platform import (
    OVERLAY,
    build_model_image,
    build_platform_images,
    load_images,
    make_local_volumes,
)
from devstack.state import CONTAINERS, PATH_KEY, save_state, state_dir

# `MLOPS_UP=processes` keeps `make up` on local processes on a machine that could do more.
UP_ENV = "MLOPS_UP"
# Static volumes for the local profile's claims (PostgreSQL, MLflow's artifacts,
# Prometheus' TSDB), with one to spare; an unbound one costs an empty folder.
VOLUMES = 4
# What `make up` forwards: state key of the URL -> the release's Service suffix.
FORWARDS = {
    "mlflow_url": "mlflow",
    "model_url": "troll-classifier",
    "prometheus_url": "monitoring-prometheus",
    "webapp_url": "webapp",
}


def containers_unavailable_reason() -> str | None:
    """Why `make up` cannot use real containers here, in a few words, or None."""
    if os.environ.get(UP_ENV, "").strip().lower() == "processes":
        return f"${UP_ENV}=processes"
    reason = LocalCluster.unavailable_reason() or node_unavailable_reason()
    if reason:
        return reason
    problem = engine.engine_problem()
    if problem and not shutil.which("dockerd"):
        return f"{problem}, and dockerd is not installed to start one"
    return None


def real_cluster() -> LocalCluster:
    return LocalCluster(DEFAULT_NAME, real_nodes=1)


def ensure_engine(state: dict) -> None:
    """A Docker engine that answers; one started here is recorded for `make down`."""
    if engine.engine_problem() is not None:
        say("starting the Docker engine (toolchain/container-engine.sh)")
    try:
        state["engine_started"] = engine.start_engine() or state.get("engine_started", False)
    except engine.EngineError as exc:
        raise SystemExit(f"the Docker engine did not start: {exc}") from None
    save_state(state)


def stop_engine_if_started(state: dict) -> None:
    if state.get("engine_started"):
        say("stopping the Docker engine `make up` started")
        engine.stop_engine()


def service_port(cluster: LocalCluster, service: str) -> int:
    port = cluster.kubectl(
        "get", "svc", service, "-n", NAMESPACE, "-o", "jsonpath={.spec.ports[0].port}"
    )
    return int(port)


def stop_forwards(state: dict) -> None:
    for name, forward in state.pop("forwards", {}).items():
        if alive(forward["pid"]):
            say(f"stopping the port-forward to {name} (pid {forward['pid']})")
            stop_process_tree(forward["pid"], grace=5)


def start_forwards(cluster: LocalCluster, state: dict) -> None:
    """Background port-forwards to each FORWARDS Service; their URLs and pids in state."""
    stop_forwards(state)
    state["forwards"] = {}
    for key, component in FORWARDS.items():
        service = f"{RELEASE}-{component}"
        pid, url = start_port_forward(
            cluster.kubeconfig,
            NAMESPACE,
            f"svc/{service}",
            service_port(cluster, service),
            log=state_dir() / f"port-forward-{component}.log",
        )
        state["forwards"][service] = {"pid": pid, "url": url}
        state[key] = url
        save_state(state)
        say(f"port-forward {url} -> svc/{service} (pid {pid})")


def timed(what: str, step):
    start = time.monotonic()
    result = step()
    say(f"{what} in {time.monotonic() - start:.0f}s")
    return result


def up_containers(state: dict, bento: Path) -> None:
    """Everything after the Bento: engine, images, cluster, install, port-forwards."""
    state_dir().mkdir(parents=True, exist_ok=True)
    state[PATH_KEY] = CONTAINERS
    save_state(state)
    ensure_engine(state)
    say("building the platform's images (cached by recipe: seconds when nothing changed)")
    images = timed("platform images ready", build_platform_images)
    say(f"building the troll-classifier image from the Bento {bento}")
    images.append(timed("model image ready", lambda: build_model_image(bento)))
    cluster = real_cluster()
    say(f"starting the local cluster {cluster.name!r} with a real node (containerd + kubelet)")
    timed("cluster up", lambda: cluster.create(reuse=True))
    state["kubeconfig"] = str(cluster.kubeconfig)
    save_state(state)
    say(f"importing {len(images)} images into the real node")
    timed("images imported", lambda: load_images(cluster, images))
    make_local_volumes(cluster, VOLUMES)
    timed(
        "release installed, every pod Ready",
        lambda: install_platform(cluster, overlays=(OVERLAY,), timeout="10m"),
    )
    start_forwards(cluster, state)
    wait_until(lambda: answers(state["model_url"] + "/readyz"), 60, "the model's /readyz")


def down_containers(state: dict) -> None:
    """Port-forwards, then the cluster (which tears the node down), then the engine."""
    stop_forwards(state)
    cluster = real_cluster()
    say(f"deleting the local cluster {cluster.name!r} and its real node")
    cluster.delete()
    stop_engine_if_started(state)
