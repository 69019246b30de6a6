"""The harbor chart's bootstrap (files/bootstrap.py, run by its hook Job), as the Job runs
it: the chart's own Role, ServiceAccount and environment on a real kube-apiserver, with a
ServiceAccount token minted for it. Harbor's side is a stand-in (tests/harness/
harbor_stand_in.py, named so): Harbor cannot run on the test machine."""

import base64
import json
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from devstack import charts
from devstack.paths import chart_dir
from tests.harness.harbor_stand_in import ADMIN, harbor_stand_in

HARBOR = chart_dir("harbor")
SCRIPT = HARBOR / "files" / "bootstrap.py"
EXTERNAL_URL = "https://harbor.example.test"


def rendered(namespace: str) -> list[dict]:
    result = charts.run_helm(
        "template",
        "mlops",
        HARBOR,
        "--namespace",
        namespace,
        "--set",
        f"externalURL={EXTERNAL_URL}",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [o for o in yaml.safe_load_all(result.stdout) if o]


def job_env(objects: list[dict]) -> dict[str, str]:
    [job] = [o for o in objects if o["kind"] == "Job"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


@dataclass(frozen=True)
class Bootstrap:
    """The script with the Job's environment, and the ServiceAccount it runs as."""

    env: dict[str, str]
    token: str
    server: str
    ca: str

    def __call__(self, harbor_url: str, **overrides: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(SCRIPT)],
            env={**self.env, "HARBOR_URL": harbor_url, **overrides},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def bootstrap(cluster, namespace: str, tmp_path: Path) -> Bootstrap:
    """The chart's ServiceAccount, Role and RoleBinding applied, and a token minted for it."""
    objects = rendered(namespace)
    access = [o for o in objects if o["kind"] in ("ServiceAccount", "Role", "RoleBinding")]
    access = [o for o in access if o["metadata"]["name"].endswith("-bootstrap")]
    assert {o["kind"] for o in access} == {"ServiceAccount", "Role", "RoleBinding"}
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump_all(access))
    account = tmp_path / "serviceaccount"
    account.mkdir()
    token = cluster.kubectl("create", "token", "-n", namespace, "mlops-harbor-bootstrap").strip()
    (account / "token").write_text(token)
    [entry] = yaml.safe_load(Path(cluster.kubeconfig).read_text())["clusters"]
    ca = entry["cluster"].get("certificate-authority")
    (account / "ca.crt").write_bytes(
        Path(ca).read_bytes()
        if ca
        else base64.b64decode(entry["cluster"]["certificate-authority-data"])
    )
    server = urlparse(entry["cluster"]["server"])
    env = {
        **job_env(objects),
        "HARBOR_ADMIN_PASSWORD": ADMIN[1],
        "POD_NAMESPACE": namespace,
        "SERVICE_ACCOUNT_DIR": str(account),
        "KUBERNETES_SERVICE_HOST": server.hostname,
        "KUBERNETES_SERVICE_PORT": str(server.port),
        "PATH": os.environ["PATH"],
    }
    return Bootstrap(env, token, entry["cluster"]["server"], str(account / "ca.crt"))


def pull_login(cluster, namespace: str) -> tuple[str, dict, dict]:
    """(resourceVersion, annotations, the dockerconfigjson's auths) of the pull Secret."""
    secret = json.loads(
        cluster.kubectl("get", "secret", "-n", namespace, "mlops-harbor-pull", "-o", "json")
    )
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    meta = secret["metadata"]
    return meta["resourceVersion"], meta.get("annotations", {}), config["auths"]


def test_it_makes_the_project_a_pull_robot_and_the_pull_secret(cluster, namespace, bootstrap):
    with harbor_stand_in() as (url, harbor):
        first = bootstrap(url)
        assert first.returncode == 0, first.stderr
        print(f"\n{first.stdout.strip()}")
        assert harbor.projects["mlops-platform"]["metadata"] == {"public": "false"}
        [robot] = harbor.robots.values()
        assert robot["name"] == "robot$mlops-platform+pull" and robot["level"] == "project"
        assert robot["permissions"] == [
            {
                "kind": "project",
                "namespace": "mlops-platform",
                "access": [{"resource": "repository", "action": "pull"}],
            }
        ]
        version, annotations, auths = pull_login(cluster, namespace)
        login = auths["harbor.example.test"]
        assert (login["username"], login["password"]) == (robot["name"], robot["secret"])
        assert base64.b64decode(login["auth"]).decode() == f"{robot['name']}:{robot['secret']}"
        assert annotations["mlops-platform.io/harbor-robot-id"] == str(robot["id"])

        again = bootstrap(url)
        assert again.returncode == 0, again.stderr
        assert "kept" in again.stdout
        assert pull_login(cluster, namespace)[0] == version, "an upgrade rewrote the Secret"
        assert harbor.calls.count("POST /projects") == harbor.calls.count("POST /robots") == 1


def test_a_lost_secret_refreshes_the_robot_and_a_lost_robot_is_made_again(
    cluster, namespace, bootstrap
):
    with harbor_stand_in() as (url, harbor):
        assert bootstrap(url).returncode == 0
        [robot] = harbor.robots.values()
        old_secret = robot["secret"]
        cluster.kubectl("delete", "secret", "-n", namespace, "mlops-harbor-pull")
        refreshed = bootstrap(url)
        assert refreshed.returncode == 0, refreshed.stderr
        assert "secret refreshed" in refreshed.stdout
        assert len(harbor.robots) == 1 and robot["secret"] != old_secret
        assert (
            pull_login(cluster, namespace)[2]["harbor.example.test"]["password"]
            == (robot["secret"])
        )

        harbor.robots.clear()
        remade = bootstrap(url)
        assert remade.returncode == 0, remade.stderr
        [new_robot] = harbor.robots.values()
        _, annotations, auths = pull_login(cluster, namespace)
        assert annotations["mlops-platform.io/harbor-robot-id"] == str(new_robot["id"])
        assert auths["harbor.example.test"]["password"] == new_robot["secret"]


def test_its_token_reads_no_other_secret(cluster, namespace, bootstrap):
    cluster.kubectl(
        "create", "secret", "generic", "-n", namespace, "unrelated", "--from-literal=k=v"
    )
    as_the_job = {"Authorization": f"Bearer {bootstrap.token}"}
    secrets = f"{bootstrap.server}/api/v1/namespaces/{namespace}/secrets"
    trust = ssl.create_default_context(cafile=bootstrap.ca)
    other = httpx.get(f"{secrets}/unrelated", headers=as_the_job, verify=trust)
    listing = httpx.get(secrets, headers=as_the_job, verify=trust)
    assert (other.status_code, listing.status_code) == (403, 403), other.text


def test_a_harbor_that_never_answers_fails_with_one_line(bootstrap):
    with harbor_stand_in() as (url, _):
        pass  # stopped: nothing listens there now
    failed = bootstrap(url, HARBOR_WAIT_SECONDS="1")
    assert failed.returncode == 1
    [line] = failed.stderr.strip().splitlines()
    assert line.startswith("harbor-bootstrap: Harbor did not answer within 1s"), line


def test_a_wrong_admin_password_is_named(bootstrap):
    with harbor_stand_in() as (url, _):
        failed = bootstrap(url, HARBOR_ADMIN_PASSWORD="not-the-password", HARBOR_WAIT_SECONDS="0")
    assert failed.returncode == 1
    assert "answered 401" in failed.stderr, failed.stderr
