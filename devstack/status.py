"""`make status`: what the run started, where to reach it, and a sample classification
by the served champion (proof that it answers, not just that a pid exists)."""

import json
import urllib.request

from devstack.charts import NAMESPACE, RELEASE
from devstack.state import load_state, state_dir

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


def status_report(state: dict) -> str:
    """What runs, as lines for people; asks the model server for a sample."""
    if not state:
        return "nothing is running (make up starts it)"
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
