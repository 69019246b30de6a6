"""Retraining from the workbench: start a run, then follow it to its outcome.

A request gets an id that the run carries as an MLflow tag (TROLL_TRAINING_REQUEST), so
its outcome is read from MLflow: the run, the version it registered, the gate's verdict
on that version and whether it became the champion. Two ways to start one:
- kubernetes: a Job made from the training CronJob's template, as `kubectl create job
  --from=cronjob/...` does, through the API server with the pod's service account;
- process: `python -m model_service retrain` beside the app (development and tests).
"""

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from psycopg_pool import ConnectionPool

from model_service.registry import CHAMPION_ALIAS, TRAINING_REQUEST_TAG
from webapp.settings import Settings

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
REQUEST_ENV = "TROLL_TRAINING_REQUEST"


class TrainingError(RuntimeError):
    """A run could not be started or followed; the message says why."""


@dataclass(frozen=True)
class Request:
    id: str
    requested_by: str
    requested_at: object
    launcher: str
    job: str
    error: str


@dataclass(frozen=True)
class Outcome:
    state: str  # starting, training, pending; failed, promoted, refused; unknown
    summary: str
    run_url: str = ""
    version: str = ""
    gate_reason: str = ""

    @property
    def going(self) -> bool:
        """The run has not reached the gate's verdict or an end yet."""
        return self.state in ("starting", "training", "pending")


# --- starting -----------------------------------------------------------------------------


class KubernetesLauncher:
    """Creates Jobs from the CronJob over the API server's REST API (RBAC: get cronjobs,
    create and get jobs, in the release's namespace only)."""

    def __init__(self, cronjob: str, namespace: str, api_url: str, token: str, ca: str | bool):
        self.cronjob, self.namespace = cronjob, namespace
        self._http = httpx.Client(
            base_url=api_url, verify=ca, timeout=15, headers={"Authorization": f"Bearer {token}"}
        )

    @classmethod
    def in_cluster(cls, settings: Settings) -> "KubernetesLauncher":
        host, port = (
            os.environ.get("KUBERNETES_SERVICE_HOST"),
            os.environ.get("KUBERNETES_SERVICE_PORT", "443"),
        )
        if not host or not (SERVICE_ACCOUNT / "token").exists():
            raise TrainingError(
                "the kubernetes launcher runs in a pod with a service account token "
                "(KUBERNETES_SERVICE_HOST and the mounted token are missing)"
            )
        namespace = settings.training_namespace or (SERVICE_ACCOUNT / "namespace").read_text()
        return cls(
            settings.training_cronjob,
            namespace.strip(),
            f"https://{host}:{port}",
            (SERVICE_ACCOUNT / "token").read_text().strip(),
            str(SERVICE_ACCOUNT / "ca.crt"),
        )

    def _api(self, method: str, path: str, **kwargs) -> dict:
        try:
            answer = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TrainingError(f"the Kubernetes API did not answer ({exc})") from None
        if answer.status_code >= 400:
            try:
                message = answer.json().get("message", answer.text[:300])
            except ValueError:
                message = answer.text[:300]
            raise TrainingError(f"Kubernetes API {method} {path}: {answer.status_code} {message}")
        return answer.json()

    def start(self, request_id: str) -> str:
        jobs = f"/apis/batch/v1/namespaces/{self.namespace}/jobs"
        cronjob = self._api(
            "GET", f"/apis/batch/v1/namespaces/{self.namespace}/cronjobs/{self.cronjob}"
        )
        template = cronjob["spec"]["jobTemplate"]
        spec = template["spec"]
        for container in spec["template"]["spec"]["containers"]:
            container.setdefault("env", []).append({"name": REQUEST_ENV, "value": request_id})
        meta = cronjob["metadata"]
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                # The Job controller copies the name into a label: at most 63 characters.
                "name": f"{self.cronjob[:37].rstrip('-')}-web-{request_id}",
                "labels": template.get("metadata", {}).get("labels", {}),
                "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                # Owned by the CronJob like its own Jobs: its history limits clean them up.
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": spec,
        }
        return self._api("POST", jobs, json=job)["metadata"]["name"]

    def status(self, job: str) -> str:
        """running, succeeded, failed, or gone (deleted since)."""
        path = f"/apis/batch/v1/namespaces/{self.namespace}/jobs/{job}"
        try:
            found = self._api("GET", path)
        except TrainingError as exc:
            if ": 404 " in str(exc):
                return "gone"
            raise
        state = found.get("status", {})
        for condition in state.get("conditions") or []:
            if condition.get("status") != "True":
                continue
            if condition.get("type") == "Complete":
                return "succeeded"
            if condition.get("type") == "Failed":
                return "failed"
        return "running"


class ProcessLauncher:
    """`python -m model_service retrain` as a child of the app, logging to a file."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.settings, self.log_dir = settings, log_dir
        self._children: dict[str, subprocess.Popen] = {}

    def start(self, request_id: str) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            REQUEST_ENV: request_id,
            "TROLL_DATASET_URL": self.settings.database_url,
            "MLFLOW_TRACKING_URI": self.settings.mlflow_url,
        }
        log = self.log_dir / f"retrain-{request_id}.log"
        with log.open("wb") as out:
            self._children[request_id] = subprocess.Popen(
                [sys.executable, "-m", "model_service", "retrain"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return f"pid {self._children[request_id].pid}"

    def status(self, request_id: str) -> str:
        child = self._children.get(request_id)
        if child is None:
            return "unknown"  # started by an earlier app process
        code = child.poll()
        return "running" if code is None else ("succeeded" if code == 0 else "failed")

    def failure(self, request_id: str) -> str:
        """The last line of a failed run's log: its one-line reason."""
        log = self.log_dir / f"retrain-{request_id}.log"
        lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
        return lines[-1] if lines else "no output"

    def stop_all(self) -> None:
        for child in self._children.values():
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()


def new_request_id() -> str:
    # Sortable by time, unique, and short enough for a Job name.
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(3)


def record(
    pool: ConnectionPool, request_id: str, *, user: str, launcher: str, job: str, error: str
):
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO training_requests (id, requested_by, launcher, job, error) "
            "VALUES (%s, %s, %s, %s, %s)",
            (request_id, user, launcher, job, error),
        )


def recent(pool: ConnectionPool, limit: int = 10) -> list[Request]:
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, requested_by, requested_at, launcher, job, error FROM training_requests "
            "ORDER BY requested_at DESC LIMIT %s",
            (limit,),
        ).fetchall()
    return [Request(*row) for row in rows]


# --- following ----------------------------------------------------------------------------


class MlflowReader:
    """The few MLflow REST calls the outcome needs (the app does not carry MLflow itself)."""

    def __init__(self, settings: Settings):
        auth = (
            (settings.mlflow_username, settings.mlflow_password)
            if settings.mlflow_username
            else None
        )
        self._http = httpx.Client(base_url=settings.mlflow_url.rstrip("/"), auth=auth, timeout=10)
        self.link_base = settings.mlflow_link_base
        self.experiment = settings.mlflow_experiment

    def _get(self, path: str, **params) -> dict:
        answer = self._http.get(f"/api/2.0/mlflow/{path}", params=params)
        if answer.status_code == 404:
            return {}
        answer.raise_for_status()
        return answer.json()

    def outcome(self, request_id: str) -> Outcome | None:  # noqa: PLR0911 (one return per state)
        """None until the request's run exists."""
        experiment = self._get("experiments/get-by-name", experiment_name=self.experiment)
        if not experiment:
            return None
        experiment_id = experiment["experiment"]["experiment_id"]
        found = self._http.post(
            "/api/2.0/mlflow/runs/search",
            json={
                "experiment_ids": [experiment_id],
                "filter": f"tags.{TRAINING_REQUEST_TAG} = '{request_id}'",
                "max_results": 1,
            },
        )
        found.raise_for_status()
        runs = found.json().get("runs", [])
        if not runs:
            return None
        run = runs[0]["info"]
        run_url = f"{self.link_base}/#/experiments/{experiment_id}/runs/{run['run_id']}"
        if run["status"] == "RUNNING":
            return Outcome("training", "training: the MLflow run is going on", run_url)
        if run["status"] != "FINISHED":
            return Outcome("failed", f"the MLflow run ended {run['status']}", run_url)
        versions = self._get("model-versions/search", filter=f"run_id='{run['run_id']}'").get(
            "model_versions", []
        )
        if not versions:
            return Outcome("failed", "the run finished without registering a version", run_url)
        version = versions[0]
        tags = {tag["key"]: tag["value"] for tag in version.get("tags", [])}
        status, reason = tags.get("validation_status", "pending"), tags.get("gate_reason", "")
        number = version["version"]
        if status == "approved":
            champion = self._get(
                "registered-models/alias", name=version["name"], alias=CHAMPION_ALIAS
            ).get("model_version", {})
            now = "is" if champion.get("version") == number else "was"
            summary = f"promoted: version {number} {now} the {CHAMPION_ALIAS}"
            return Outcome("promoted", summary, run_url, number, reason)
        if status == "rejected":
            summary = f"refused by the gate: version {number}"
            return Outcome("refused", summary, run_url, number, reason)
        return Outcome("pending", f"version {number} waits for the gate", run_url, number)
