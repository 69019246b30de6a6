"""Harbor bootstrap, run by the chart's post-install/post-upgrade hook Job: creates the
project the platform's images live in and a pull-only robot account of that project,
and keeps the robot's login in a kubernetes.io/dockerconfigjson Secret that pods pull
with. Standard library only, so any Python image runs it.

Idempotent: a project that exists is left as it is, and a Secret whose robot still
exists is kept, so its login survives upgrades. A Secret that is gone gets the robot's
secret refreshed (Harbor shows a secret only when it is made); a robot that is gone is
made again. Every failure exits 1 with one line naming what failed.
"""

import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
ROBOT_ID_ANNOTATION = "mlops-platform.io/harbor-robot-id"


class BootstrapError(Exception):
    """A step that failed; the message is the one line the Job's log ends with."""


def setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise BootstrapError(f"{name} is not set")
    return value


class Api:
    """JSON over HTTP(S) with fixed headers; returns (status, body), raises on the rest."""

    def __init__(self, name: str, base: str, headers: dict, context=None) -> None:
        self.name, self.base, self.headers, self.context = name, base.rstrip("/"), headers, context

    def call(self, method: str, path: str, body=None, expect=(200, 201)) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        except (urllib.error.URLError, OSError) as err:
            raise BootstrapError(f"{self.name} at {self.base}: {err}") from None
        if status not in expect:
            detail = raw.decode(errors="replace").strip()[:300]
            raise BootstrapError(f"{self.name}: {method} {path} answered {status}: {detail}")
        return status, (json.loads(raw) if raw.strip() else None)


def harbor_api() -> Api:
    login = f"{setting('HARBOR_ADMIN_USERNAME')}:{setting('HARBOR_ADMIN_PASSWORD')}"
    auth = "Basic " + base64.b64encode(login.encode()).decode()
    return Api("Harbor", setting("HARBOR_URL") + "/api/v2.0", {"Authorization": auth})


def kubernetes_api() -> Api:
    """The API server, as the pod's ServiceAccount (KUBERNETES_SERVICE_* from the kubelet)."""
    folder = os.environ.get("SERVICE_ACCOUNT_DIR", SERVICE_ACCOUNT)
    try:
        with open(os.path.join(folder, "token")) as token:
            bearer = token.read().strip()
    except OSError as err:
        raise BootstrapError(f"no ServiceAccount token: {err}") from None
    context = ssl.create_default_context(cafile=os.path.join(folder, "ca.crt"))
    host = setting("KUBERNETES_SERVICE_HOST")
    port = setting("KUBERNETES_SERVICE_PORT")
    base = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    return Api("the Kubernetes API", base, {"Authorization": f"Bearer {bearer}"}, context)


def wait_for_harbor(harbor: Api, seconds: float) -> None:
    """Harbor's core answers /ping once it serves its API (it may still be starting)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            harbor.call("GET", "/ping")
            return
        except BootstrapError as err:
            if time.monotonic() >= deadline:
                raise BootstrapError(
                    f"Harbor did not answer within {seconds:.0f}s: {err}"
                ) from None
            print(f"waiting for Harbor: {err}", flush=True)
            time.sleep(5)


def ensure_project(harbor: Api, name: str, public: bool) -> None:
    query = urllib.parse.urlencode({"project_name": name})
    status, _ = harbor.call("HEAD", f"/projects?{query}", expect=(200, 404))
    if status == 200:
        print(f"project {name}: exists", flush=True)
        return
    body = {"project_name": name, "metadata": {"public": str(public).lower()}}
    harbor.call("POST", "/projects", body, expect=(201, 409))
    print(f"project {name}: created", flush=True)


def project_robot(harbor: Api, project: str, robot: str) -> dict | None:
    """The project's robot of that short name (Harbor names it robot$<project>+<name>)."""
    _, projects = harbor.call("GET", "/projects?" + urllib.parse.urlencode({"name": project}))
    ids = [p["project_id"] for p in projects or [] if p["name"] == project]
    if not ids:
        raise BootstrapError(f"Harbor: project {project} is not listed")
    query = urllib.parse.urlencode({"q": f"Level=project,ProjectID={ids[0]}", "page_size": 100})
    _, robots = harbor.call("GET", f"/robots?{query}")
    for found in robots or []:
        if found["name"].endswith(f"+{robot}"):
            return found
    return None


def new_robot_login(harbor: Api, project: str, robot: str) -> tuple[int, str, str]:
    """(id, full name, secret) of the project's pull robot, made or with a new secret."""
    found = project_robot(harbor, project, robot)
    if found:
        _, refreshed = harbor.call("PATCH", f"/robots/{found['id']}", {"secret": ""})
        print(f"robot {found['name']}: secret refreshed (its Secret was gone)", flush=True)
        return found["id"], found["name"], refreshed["secret"]
    body = {
        "name": robot,
        "description": "Pulls the platform's images (made by the mlops-platform chart)",
        "level": "project",
        "duration": -1,
        "permissions": [
            {
                "kind": "project",
                "namespace": project,
                "access": [{"resource": "repository", "action": "pull"}],
            }
        ],
    }
    _, made = harbor.call("POST", "/robots", body, expect=(201,))
    print(f"robot {made['name']}: created", flush=True)
    return made["id"], made["name"], made["secret"]


def pull_secret(
    namespace: str, name: str, labels: dict, registry: str, login: tuple[int, str, str]
) -> dict:
    robot_id, username, password = login
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    config = {"auths": {registry: {"username": username, "password": password, "auth": auth}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {ROBOT_ID_ANNOTATION: str(robot_id)},
        },
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def main() -> int:
    project = setting("HARBOR_PROJECT")
    robot = setting("HARBOR_ROBOT")
    namespace, secret_name = setting("POD_NAMESPACE"), setting("PULL_SECRET")
    harbor, kube = harbor_api(), kubernetes_api()
    wait_for_harbor(harbor, float(os.environ.get("HARBOR_WAIT_SECONDS", "600")))
    ensure_project(harbor, project, os.environ.get("HARBOR_PROJECT_PUBLIC") == "true")
    path = f"/api/v1/namespaces/{namespace}/secrets/{secret_name}"
    status, existing = kube.call("GET", path, expect=(200, 404))
    if status == 200:
        robot_id = existing["metadata"].get("annotations", {}).get(ROBOT_ID_ANNOTATION, "")
        if robot_id.isdigit():
            robot_status, _ = harbor.call("GET", f"/robots/{robot_id}", expect=(200, 404))
            if robot_status == 200:
                print(f"Secret {secret_name}: kept (robot {robot_id} exists)", flush=True)
                return 0
    login = new_robot_login(harbor, project, robot)
    labels = json.loads(os.environ.get("SECRET_LABELS", "{}"))
    secret = pull_secret(namespace, secret_name, labels, setting("REGISTRY_HOST"), login)
    if status == 200:
        secret["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        kube.call("PUT", path, secret)
    else:
        kube.call("POST", f"/api/v1/namespaces/{namespace}/secrets", secret)
    print(f"Secret {secret_name}: written for {login[1]} on {setting('REGISTRY_HOST')}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BootstrapError as err:
        print(f"harbor-bootstrap: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
