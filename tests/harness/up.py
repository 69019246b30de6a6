"""`make up` / `make down`: the platform on this machine.

up:   starts the default local cluster (kind when a Docker engine exists, else the
      `local` provider: a real API server with kwok's simulated nodes), installs
      release `mlops` from charts/platform with values/local.yaml, and, since pods
      run no containers under `local`, starts the parts that can run here as real
      local processes: PostgreSQL, bootstrapped by the chart's own script; the MLflow
      server on the chart's `mlflow` database and owner; the troll classifier trained,
      registered and promoted through the quality gate; and `bentoml serve` of the
      champion. Prints what runs, the URLs and a sample classification.
model: the same local PostgreSQL and MLflow, the champion trained and promoted, and a
      Bento built from it (its path in .run/bento-path): what CI turns into the image.
down: deletes the cluster and stops every process `up` started.

    python -m tests.harness.up {up|model|down|status}
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

from tests.harness import charts
from tests.harness.cluster import ClusterError, make_cluster
from tests.harness.kube_schema import schema_versions, validation_errors
from tests.harness.model_servers import (
    QUIET_ENV,
    Server,
    mlflow_server,
    run_cli,
    service_server,
    stop_process_tree,
)
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


def save_state(state: dict) -> None:
    path = state_dir() / "state.json"
    path.write_text(json.dumps(state))
    path.chmod(0o600)


def start_mlflow(postgres: LocalPostgres, passwords: dict, state: dict) -> str:
    """`mlflow server` on the chart's own database and owner (as in the cluster)."""
    if state.get("mlflow_url") and _answers(state["mlflow_url"] + "/health"):
        return state["mlflow_url"]
    backend = postgres.url("mlflow", user="mlflow", password=passwords["OWNER_PASSWORD_MLFLOW"])
    server = mlflow_server(backend, state_dir() / "mlflow", {**os.environ, **QUIET_ENV})
    say("starting the MLflow server (tracking + registry) on 127.0.0.1")
    server.start().wait_for("/health", timeout=300)
    state.update(mlflow_url=server.url, mlflow_pid=server.process.pid)
    save_state(state)
    return server.url


def model_env(mlflow_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **QUIET_ENV,
        "MLFLOW_TRACKING_URI": mlflow_url,
        "BENTOML_HOME": str(state_dir() / "bentoml"),
    }


def train_champion(env: dict[str, str], state: dict) -> dict:
    """Train, register and promote through the gate, once per `up` state."""
    if state.get("champion"):
        return state["champion"]
    say("training the troll classifier (embeddings + SVM; a minute or two)")
    trained = json.loads(run_cli("train", env=env).stdout)
    say(f"registered version {trained['version']}; promoting through the quality gate")
    promoted = json.loads(run_cli("promote", "--version", str(trained["version"]), env=env).stdout)
    state["champion"] = {"version": trained["version"], "promote": promoted}
    save_state(state)
    return state["champion"]


def serve_champion(env: dict[str, str], state: dict) -> str:
    if state.get("model_url") and _answers(state["model_url"] + "/readyz"):
        return state["model_url"]
    server: Server = service_server(
        "models:/troll-classifier@champion", state_dir() / "bentoml-serve.log", env
    )
    say("serving the champion with BentoML on 127.0.0.1 (waits for /readyz)")
    server.start().wait_for("/readyz", timeout=600)
    state.update(model_url=server.url, model_pid=server.process.pid)
    save_state(state)
    return server.url


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def sample_classification(model_url: str) -> str:
    texts = ["Thanks, that fixed it for me!", "Only an idiot would believe that, wake up."]
    request = urllib.request.Request(
        model_url + "/classify",
        data=json.dumps({"texts": texts}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        results = json.loads(response.read())
    return "\n".join(
        f"    {r['label']:>9} {r['score']:.2f}  {t!r}" for t, r in zip(texts, results, strict=True)
    )


def local_stack(objects: list[dict]) -> tuple[dict, dict[str, str]]:
    """PostgreSQL (chart bootstrap), MLflow and the promoted champion; reused when running."""
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    state = load_state()
    postgres = LocalPostgres(root / "postgres")
    if state.get("postgres_port"):
        postgres = LocalPostgres(
            root / "postgres", state["postgres_port"], state["postgres_password"]
        )
    say("starting PostgreSQL on 127.0.0.1")
    postgres.start()
    state.update(postgres_port=postgres.port, postgres_password=postgres.password)
    save_state(state)
    say(bootstrap_databases(objects, postgres)[-1])
    passwords = json.loads((root / "passwords.json").read_text())
    env = model_env(start_mlflow(postgres, passwords, state))
    train_champion(env, state)
    return state, env


def load_state() -> dict:
    path = state_dir() / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def up() -> None:
    objects = render_platform()
    kubeconfig = install_platform()
    state, env = local_stack(objects)
    state["kubeconfig"] = kubeconfig
    save_state(state)
    serve_champion(env, state)
    status()


def model() -> None:
    """What CI packages: the champion as a Bento; its path goes to .run/bento-path."""
    state, env = local_stack(render_platform())
    say("building the Bento with the champion baked in")
    built = json.loads(run_cli("build", env=env).stdout)
    (REPO_ROOT / ".run").mkdir(exist_ok=True)
    (REPO_ROOT / ".run" / "bento-path").write_text(built["path"] + "\n")
    say(f"Bento at {built['path']} (path in .run/bento-path); `make down` stops the servers")


def status() -> None:
    state = load_state()
    if not state:
        print("nothing is running (make up starts it)")
        return
    port, secrets_file = state["postgres_port"], state_dir() / "state.json"
    lines = ["", "running:"]
    if state.get("kubeconfig"):
        lines += [
            f"  cluster     export KUBECONFIG={state['kubeconfig']}",
            f"              helm status {RELEASE} -n {NAMESPACE};  kubectl get pods -n {NAMESPACE}",
        ]
    if state.get("mlflow_url"):
        lines.append(f"  MLflow UI   {state['mlflow_url']}")
    if state.get("champion"):
        lines.append(f"  champion    troll-classifier version {state['champion']['version']}")
    if state.get("model_url"):
        lines += [
            f"  model API   {state['model_url']}/classify   docs: {state['model_url']}/docs",
            "  sample classification:",
            sample_classification(state["model_url"]),
        ]
    print("\n".join(lines))
    print(f"""  PostgreSQL  127.0.0.1:{port}  superuser postgres (password in {secrets_file})
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
    for key, what in (("model_pid", "BentoML"), ("mlflow_pid", "the MLflow server")):
        if state.get(key):
            say(f"stopping {what}")
            stop_process_tree(state[key])
    if state:
        say("stopping PostgreSQL")
        LocalPostgres(
            root / "postgres", port=state["postgres_port"], password=state["postgres_password"]
        ).stop()
    shutil.rmtree(root, ignore_errors=True)
    say("down: nothing left running")


if __name__ == "__main__":
    verbs = {"up": up, "model": model, "down": down, "status": status}
    if len(sys.argv) != 2 or sys.argv[1] not in verbs:
        sys.exit(f"usage: python -m tests.harness.up {{{'|'.join(verbs)}}}")
    verbs[sys.argv[1]]()
