"""The web app's "Start retraining" on a real kube-apiserver: the chart's ServiceAccount,
Role and RoleBinding, and the troll classifier's training CronJob, applied as the umbrella
renders them; the launcher (webapp/training.py) calls the API with a token minted for
that ServiceAccount, as the pod would. Under kwok the Job's pod runs no container: this
proves the Job is made right and the Role's reach, not that training runs (the containers
tier and the browser tier run training for real)."""

import base64
import json
from pathlib import Path

import pytest
import yaml

from devstack import charts
from devstack.paths import PLATFORM_CHART
from webapp.training import REQUEST_ENV, KubernetesLauncher, TrainingError

CRONJOB = "mlops-troll-classifier-training"
ACCOUNT = "mlops-webapp"


def rendered(namespace: str) -> list[dict]:
    result = charts.run_helm("template", "mlops", PLATFORM_CHART, "--namespace", namespace)
    return [o for o in yaml.safe_load_all(result.stdout) if o]


@pytest.fixture
def launcher(cluster, namespace: str, tmp_path: Path):
    """The CronJob and the web app's access applied; a launcher signed in as the app."""
    objects = rendered(namespace)
    wanted = [
        o
        for o in objects
        if (o["kind"], o["metadata"]["name"])
        in {
            ("CronJob", CRONJOB),
            ("ServiceAccount", ACCOUNT),
            ("Role", ACCOUNT),
            ("RoleBinding", ACCOUNT),
        }
    ]
    assert len(wanted) == 4, [o["metadata"]["name"] for o in wanted]
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump_all(wanted))
    token = cluster.kubectl("create", "token", "-n", namespace, ACCOUNT).strip()
    [entry] = yaml.safe_load(Path(cluster.kubeconfig).read_text())["clusters"]
    ca_file = entry["cluster"].get("certificate-authority")
    ca = tmp_path / "ca.crt"
    ca.write_bytes(
        Path(ca_file).read_bytes()
        if ca_file
        else base64.b64decode(entry["cluster"]["certificate-authority-data"])
    )
    server = entry["cluster"]["server"]
    return lambda cronjob=CRONJOB: KubernetesLauncher(cronjob, namespace, server, token, str(ca))


def test_a_retraining_job_is_made_from_the_cronjob_with_the_request_id(
    cluster, namespace, launcher
):
    job_name = launcher().start("20261202000000abc123")
    assert job_name == f"{CRONJOB}-web-20261202000000abc123"
    job = json.loads(cluster.kubectl("get", "job", "-n", namespace, job_name, "-o", "json"))
    cronjob = json.loads(cluster.kubectl("get", "cronjob", "-n", namespace, CRONJOB, "-o", "json"))
    [owner] = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "CronJob",
        CRONJOB,
        cronjob["metadata"]["uid"],
    )
    [container] = job["spec"]["template"]["spec"]["containers"]
    [template] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == template["image"] and container["args"] == template["args"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env[REQUEST_ENV] == "20261202000000abc123"
    # kwok's pods run nothing, so the Job is running or, by kwok's stages, succeeded.
    assert launcher().status(job_name) in ("running", "succeeded")
    assert launcher().status("no-such-job") == "gone"


def test_the_apps_role_cannot_read_another_cronjob(cluster, namespace, launcher):
    """The Role names its one CronJob. (It may still create any Job in the namespace:
    Kubernetes cannot limit `create` by name; see docs/webapp.md.)"""
    cluster.kubectl(
        "create", "cronjob", "-n", namespace, "other", "--image=x", "--schedule=0 0 * * *"
    )
    with pytest.raises(TrainingError) as refused:
        launcher("other").start("20261202000000def456")
    assert "403" in str(refused.value) and "forbidden" in str(refused.value).lower()
    jobs = cluster.kubectl("get", "jobs", "-n", namespace, "-o", "name").split()
    assert jobs == []
