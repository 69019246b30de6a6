"""`make status`: what the run started, where to reach it, and a sample classification
by the served champion (proof that it answers, not just that a pid exists)."""

import json
import urllib.request

from devstack.charts import NAMESPACE, RELEASE
from devstack.processes import alive
from devstack.state import CONTAINERS, PATH_KEY, load_state, state_dir

SAMPLE_TEXTS = ("Thanks, that fixed it for me!", "Only an idiot would believe that, wake up.")


def sample_classification(model_url: str) -> str:
    request = urllib.request.Request(
        model_url + "/classify",
        data=json.dumps({"texts": list(SAMPLE_TEXTS)}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        results = json.loads(response.read())
    return "\n".join(
        f"    {r['label']:>9} {r['score']:.2f}  {t!r}"
        for t, r in zip(SAMPLE_TEXTS, results, strict=True)
    )


def answer_or_why(model_url: str) -> str:
    try:
        return sample_classification(model_url)
    except OSError as err:
        return f"    no answer from {model_url}: {err}"


def webapp_lines(state: dict) -> list[str]:
    """The web app's address and where its first admin's password is."""
    if state.get("webapp_admin_password"):
        password = f"password in {state_dir() / 'state.json'} (webapp_admin_password)"
    else:
        password = (
            f"password: kubectl -n {NAMESPACE} get secret {RELEASE}-webapp "
            "-o jsonpath='{.data.admin-password}' | base64 -d"
        )
    return [
        f"  web app     {state['webapp_url']}/   (workbench: /workbench)",
        f"              first admin `admin`, {password}",
    ]


def status_report(state: dict) -> str:
    """What runs, as lines for people; asks the model server for a sample."""
    if not state:
        return "nothing is running (make up starts it)"
    lines = ["", "running:"]
    if state.get(PATH_KEY) == CONTAINERS:
        lines.append("  real containers: the platform's pods run on the cluster's real node")
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
            f"  model API   {state['model_url']}/classify",
            # BentoML serves its Swagger UI at / and the OpenAPI document at /docs.json.
            f"  API docs    {state['model_url']}/   (OpenAPI: {state['model_url']}/docs.json)",
            "  sample classification:",
            answer_or_why(state["model_url"]),
        ]
    if state.get("webapp_url"):
        lines += webapp_lines(state)
    if state.get("prometheus_url"):
        lines.append(f"  Prometheus  {state['prometheus_url']}/targets")
    for service, forward in state.get("forwards", {}).items():
        if not alive(forward["pid"]):
            lines.append(
                f"  port-forward to svc/{service} (pid {forward['pid']}) has stopped: "
                "`make up` starts it again"
            )
    if state.get("postgres_port"):
        port = state["postgres_port"]
        lines += [
            f"  PostgreSQL  127.0.0.1:{port}  superuser postgres "
            f"(password in {state_dir() / 'state.json'})",
            f'              psql "postgresql://postgres@127.0.0.1:{port}/postgres"',
        ]
    lines.append("stop it all:  make down")
    return "\n".join(lines)


def status() -> None:
    print(status_report(load_state()))
