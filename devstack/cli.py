"""`make up`, `make model`, `make down`, `make status`: the platform on this machine.

up:     with real containers when this machine can run them (root, the real node's tools
        from `toolchain/setup.sh kube_node`, a Docker engine that answers or can be
        started; devstack/up_containers.py): images built here, the `local` cluster with
        a real node, release `mlops` from charts/platform with values/local.yaml plus
        the real-node overlay, and port-forwards to MLflow, the model, Prometheus and
        the web app.
        Otherwise it says why and takes the process path: the default local cluster
        (kind when a Docker engine exists, else the `local` provider: a real API server
        with kwok's simulated nodes), the same release, and, since those pods run no
        containers, the parts that can run here as real local processes
        (devstack/local_services.py): PostgreSQL, MLflow, the troll classifier trained
        and promoted through the quality gate, `bentoml serve` of the champion and the
        web app in front of it.
        Both print what runs, the URLs and a sample classification.
model:  the same local PostgreSQL and MLflow, the champion trained and promoted, and a
        Bento built from it (its path in .run/bento-path): what CI turns into the image.
down:   deletes the cluster (and its real node) and stops every process `up` started,
        the Docker engine too when `up` started it.
status: what runs and where.

    python -m devstack {up|model|down|status}
"""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from devstack.cluster import ClusterError, make_cluster
from devstack.console import say
from devstack.install import install_platform
from devstack.local_services import (
    bootstrap_databases,
    serve_champion,
    start_mlflow,
    start_postgres,
    start_webapp,
    stop_local_services,
)
from devstack.model_pipeline import build_bento, model_env, train_champion
from devstack.paths import recorded_bento
from devstack.render import render_platform
from devstack.state import CONTAINERS, PATH_KEY, load_state, save_state, state_dir
from devstack.status import status
from devstack.up_containers import containers_unavailable_reason, down_containers, up_containers

# The model pipeline's own servers, dropped once the Bento is built on the container path.
PIPELINE_FILES = ("postgres", "mlflow", "passwords.json")
PIPELINE_KEYS = ("postgres_port", "postgres_password", "mlflow_url", "mlflow_pid", "champion")


def local_stack(objects: list[dict]) -> tuple[dict, dict[str, str], Callable[[], str]]:
    """PostgreSQL (chart bootstrap), MLflow and the promoted champion; returns the run's
    state, the environment that reaches its MLflow, and what starts the web app on them
    once the model is served."""
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    # The PostgreSQL server runs as its own user when we are root: it must reach its folder.
    root.chmod(0o755)
    state = load_state()
    postgres = start_postgres(state)
    passwords = bootstrap_databases(objects, postgres)
    env = model_env(start_mlflow(postgres, passwords, state))
    train_champion(env, state)
    return state, env, lambda: start_webapp(postgres, passwords, env, state)


def bento_for_image(objects: list[dict]) -> Path:
    """The recorded Bento, else one built as `make model` builds it; the pipeline's
    PostgreSQL and MLflow then stop (the cluster runs its own)."""
    bento = recorded_bento()
    if bento:
        say(f"using the Bento `make model` recorded: {bento}")
        return bento
    say("no Bento recorded: training the champion and building one as `make model` does")
    state, env, _ = local_stack(objects)
    bento = Path(build_bento(env))
    stop_local_services(state)
    for key in PIPELINE_KEYS:
        state.pop(key, None)
    save_state(state)
    for name in PIPELINE_FILES:
        path = state_dir() / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return bento


def up() -> None:
    objects = render_platform()
    reason = containers_unavailable_reason()
    if reason is None:
        say("real containers here: the platform runs in a cluster with a real node")
        bento = bento_for_image(objects)
        up_containers(load_state(), bento)
        status()
        return
    say(
        f"no real containers here ({reason}): "
        "running PostgreSQL, MLflow and the model as local processes"
    )
    up_processes(objects)


def up_processes(objects: list[dict]) -> None:
    kubeconfig = install_platform()
    state, env, start_web = local_stack(objects)
    state["kubeconfig"] = kubeconfig
    save_state(state)
    serve_champion(env, state)
    start_web()
    status()


def model() -> None:
    _, env, _ = local_stack(render_platform())
    path = build_bento(env)
    say(f"Bento at {path} (path in .run/bento-path); `make down` stops the servers")


def down() -> None:
    state = load_state()
    if state.get(PATH_KEY) == CONTAINERS:
        down_containers(state)
    else:
        try:
            cluster = make_cluster()
            say(f"deleting the {cluster.provider} cluster {cluster.name!r}")
            cluster.delete()
        except ClusterError as err:
            say(f"cluster: {err}")
    stop_local_services(state)
    shutil.rmtree(state_dir(), ignore_errors=True)
    say("down: nothing left running")


VERBS = {"up": up, "model": model, "down": down, "status": status}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in VERBS:
        print(f"usage: python -m devstack {{{'|'.join(VERBS)}}}", file=sys.stderr)
        return 2
    VERBS[argv[0]]()
    return 0
