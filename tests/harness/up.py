"""`make up` / `make down`: the platform on this machine.

up:   starts the default local cluster (kind when a Docker engine exists, else the
      `local` provider: a real API server with kwok's simulated nodes), installs
      release `mlops` from charts/platform with values/local.yaml, and, since pods
      run no containers under `local`, starts the parts that can run here as real
      local processes: PostgreSQL, bootstrapped by the chart's own script. Prints
      what runs and how to reach it.
down: uninstalls, deletes the cluster and stops every process `up` started.

    python -m tests.harness.up {up|down|status}
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.harness import charts
from tests.harness.cluster import ClusterError, make_cluster
from tests.harness.kube_schema import schema_versions, validation_errors
from tests.harness.paths import CHARTS_DIR, PROFILES_DIR, REPO_ROOT
from tests.harness.postgres import LocalPostgres

PROFILE = PROFILES_DIR / "local.yaml"
RELEASE, NAMESPACE = "mlops", "mlops"


def state_dir() -> Path:
    """Outside the checkout: the server user must be able to reach it when we run as root."""
    default = (
        Path("/tmp")
        / f"mlops-platform-{os.getuid()}-{hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:8]}"
    )
    return Path(os.environ.get("MLOPS_RUN_DIR", default))


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def render_platform() -> list[dict]:
    say(f"rendering charts/platform with {PROFILE.relative_to(REPO_ROOT)}")
    charts.build_dependencies()
    objects = charts.render(CHARTS_DIR / charts.UMBRELLA, charts.load_values(PROFILE))
    errors = [e for v in schema_versions() for o in objects for e in validation_errors(o, v)]
    if errors:
        raise SystemExit("rendered objects are invalid:\n" + "\n".join(errors))
    kinds = Counter(o["kind"] for o in objects)
    say(
        f"{len(objects)} objects valid on Kubernetes {', '.join(schema_versions())}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )
    return objects


def bootstrap_databases(objects: list[dict], postgres: LocalPostgres) -> list[str]:
    """Run the chart's bootstrap script against the local server; owner passwords
    are generated here as the chart generates them, and kept in the state dir."""
    [configmap] = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("postgresql-bootstrap")
    ]
    script = configmap["data"]["ensure-databases.sh"]
    secrets_file = state_dir() / "passwords.json"
    passwords = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    env = postgres.env()
    for var in sorted(set(re.findall(r"\$(OWNER_PASSWORD_\w+)", script))):
        passwords.setdefault(var, os.urandom(12).hex())
        env[var] = passwords[var]
    secrets_file.write_text(json.dumps(passwords))
    secrets_file.chmod(0o600)
    result = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"database bootstrap failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip().splitlines()


def install_platform() -> str:
    """Cluster up (reused when healthy), then `helm upgrade --install` the platform."""
    cluster = make_cluster()
    say(f"starting the {cluster.provider} cluster {cluster.name!r}")
    cluster.create(reuse=True)
    say(f"Kubernetes {cluster.kube_version()} is up; installing release {RELEASE}")
    result = charts.run_helm(
        "upgrade",
        "--install",
        RELEASE,
        CHARTS_DIR / charts.UMBRELLA,
        "--namespace",
        NAMESPACE,
        "--create-namespace",
        "--values",
        PROFILE,
        "--kubeconfig",
        cluster.kubeconfig,
        "--wait",
        "--timeout",
        "5m",
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"helm install failed:\n{result.stderr}")
    pods = cluster.kubectl(
        "get",
        "pods",
        "-n",
        NAMESPACE,
        "--no-headers",
        "-o",
        "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
    )
    say(f"release {RELEASE} deployed: {len(pods.splitlines())} pods")
    if cluster.provider == "local":
        say("the local provider simulates pods (kwok): objects are real, containers do not run")
    return str(cluster.kubeconfig)


def load_state() -> dict:
    path = state_dir() / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def up() -> None:
    objects = render_platform()
    kubeconfig = install_platform()
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    state = load_state()
    postgres = LocalPostgres(
        root / "postgres",
        **(
            {"port": state["postgres_port"], "password": state["postgres_password"]}
            if state
            else {}
        ),
    )
    say("starting PostgreSQL on 127.0.0.1")
    postgres.start()
    state = {
        "postgres_port": postgres.port,
        "postgres_password": postgres.password,
        "kubeconfig": kubeconfig,
    }
    (root / "state.json").write_text(json.dumps(state))
    (root / "state.json").chmod(0o600)
    say(bootstrap_databases(objects, postgres)[-1])
    status()


def status() -> None:
    state = load_state()
    if not state:
        print("nothing is running (make up starts it)")
        return
    port, secrets_file = state["postgres_port"], state_dir() / "state.json"
    print(f"""
running:
  cluster     export KUBECONFIG={state["kubeconfig"]}
              helm status {RELEASE} -n {NAMESPACE};  kubectl get pods -n {NAMESPACE}
  PostgreSQL  127.0.0.1:{port}  superuser postgres (password in {secrets_file})
              psql "postgresql://postgres@127.0.0.1:{port}/postgres"
stop it all:  make down""")


def down() -> None:
    root = state_dir()
    state = load_state()
    try:
        cluster = make_cluster()
        say(f"deleting the {cluster.provider} cluster {cluster.name!r}")
        cluster.delete()
    except ClusterError as err:
        say(f"cluster: {err}")
    if state:
        say("stopping PostgreSQL")
        LocalPostgres(
            root / "postgres", port=state["postgres_port"], password=state["postgres_password"]
        ).stop()
    shutil.rmtree(root, ignore_errors=True)
    say("down: nothing left running")


if __name__ == "__main__":
    verbs = {"up": up, "down": down, "status": status}
    if len(sys.argv) != 2 or sys.argv[1] not in verbs:
        sys.exit(f"usage: python -m tests.harness.up {{{'|'.join(verbs)}}}")
    verbs[sys.argv[1]]()
