"""`make up`, `make model`, `make down`, `make status`: the platform on this machine.

up:     starts the default local cluster (kind when a Docker engine exists, else the
        `local` provider: a real API server with kwok's simulated nodes), installs
        release `mlops` from charts/platform with values/local.yaml, and, since pods run
        no containers under `local`, starts the parts that can run here as real local
        processes (devstack/local_services.py): PostgreSQL, MLflow, the troll classifier
        trained and promoted through the quality gate, and `bentoml serve` of the
        champion. Prints what runs, the URLs and a sample classification.
model:  the same local PostgreSQL and MLflow, the champion trained and promoted, and a
        Bento built from it (its path in .run/bento-path): what CI turns into the image.
down:   deletes the cluster and stops every process `up` started.
status: what runs and where.

    python -m devstack {up|model|down|status}
"""

import shutil
import sys

from devstack.cluster import ClusterError, make_cluster
from devstack.console import say
from devstack.install import install_platform
from devstack.local_services import (
    bootstrap_databases,
    serve_champion,
    start_mlflow,
    start_postgres,
    stop_local_services,
)
from devstack.model_pipeline import build_bento, model_env, train_champion
from devstack.render import render_platform
from devstack.state import load_state, save_state, state_dir
from devstack.status import status


def local_stack(objects: list[dict]) -> tuple[dict, dict[str, str]]:
    """PostgreSQL (chart bootstrap), MLflow and the promoted champion; returns the run's
    state and the environment that reaches its MLflow."""
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    # The PostgreSQL server runs as its own user when we are root: it must reach its folder.
    root.chmod(0o755)
    state = load_state()
    postgres = start_postgres(state)
    passwords = bootstrap_databases(objects, postgres)
    env = model_env(start_mlflow(postgres, passwords, state))
    train_champion(env, state)
    return state, env


def up() -> None:
    objects = render_platform()
    kubeconfig = install_platform()
    state, env = local_stack(objects)
    state["kubeconfig"] = kubeconfig
    save_state(state)
    serve_champion(env, state)
    status()


def model() -> None:
    _, env = local_stack(render_platform())
    path = build_bento(env)
    say(f"Bento at {path} (path in .run/bento-path); `make down` stops the servers")


def down() -> None:
    state = load_state()
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
