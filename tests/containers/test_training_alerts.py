"""The training alert rules as the monitoring chart renders them, evaluated by promtool
from the Prometheus image the chart runs, on series shaped as kube-state-metrics
reports the release namespace's Jobs and CronJobs."""

from pathlib import Path

import pytest
import yaml

from devstack.images.build import build
from tests.containers.chart_pods import docker, render_chart

pytestmark = pytest.mark.containers

TRAINING = (
    'label_app_kubernetes_io_name="troll-classifier", label_app_kubernetes_io_component="training"'
)
OTHER_APP = (
    'label_app_kubernetes_io_name="nightly-report", label_app_kubernetes_io_component="cron"'
)
HOUR = 3600


@pytest.fixture(scope="module")
def promtool_image(docker_engine) -> str:
    [*_, outcome] = build(["prometheus"])
    return outcome.reference


def job_series(
    name: str,
    *,
    labels: str,
    start: int,
    failed_at: int | None = None,
    completed: int | None = None,
    minutes: int = 20,
) -> list[dict]:
    """A Job's series over `minutes`: labels, start time, and either the failed condition
    from minute `failed_at` on, or the completion time (seconds) once it succeeded."""
    ns = f'namespace="mlops", job_name="{name}"'
    series = [
        {"series": f"kube_job_labels{{{ns}, {labels}}}", "values": f"1x{minutes}"},
        {"series": f"kube_job_status_start_time{{{ns}}}", "values": f"{start}x{minutes}"},
    ]
    if failed_at is not None:
        flags = " ".join(["0"] * failed_at + ["1"] * (minutes + 1 - failed_at))
        series.append({"series": f'kube_job_failed{{{ns}, condition="true"}}', "values": flags})
    if completed is not None:
        series.append(
            {
                "series": f"kube_job_status_completion_time{{{ns}}}",
                "values": f"{completed}x{minutes}",
            }
        )
    return series


def cronjob_series(
    *, created: int, last_success: int | None = None, suspended: bool = False, hours: int = 30
) -> list[dict]:
    """The training CronJob's series, a sample a minute (as scraped) for `hours`."""
    ns = 'namespace="mlops", cronjob="mlops-troll-classifier-training"'
    samples = hours * 60
    series = [
        {"series": f"kube_cronjob_labels{{{ns}, {TRAINING}}}", "values": f"1x{samples}"},
        {"series": f"kube_cronjob_created{{{ns}}}", "values": f"{created}x{samples}"},
        {"series": f"kube_cronjob_spec_suspend{{{ns}}}", "values": f"{int(suspended)}x{samples}"},
    ]
    if last_success is not None:
        series.append(
            {
                "series": f"kube_cronjob_status_last_successful_time{{{ns}}}",
                "values": f"{last_success}x{samples}",
            }
        )
    return series


def failed_alert(job: str) -> dict:
    return {
        "exp_labels": {"severity": "warning", "namespace": "mlops", "job_name": job},
        "exp_annotations": {
            "summary": "A training run failed",
            "description": (
                f"Training Job mlops/{job} failed, and no training run has succeeded since; "
                "the champion is unchanged. Its pod's log ends with the reason "
                f"(kubectl logs job/{job})."
            ),
        },
    }


def missing_alert(hours: str) -> dict:
    return {
        "exp_labels": {
            "severity": "warning",
            "namespace": "mlops",
            "cronjob": "mlops-troll-classifier-training",
        },
        "exp_annotations": {
            "summary": "Continuous training has not succeeded for 26 hours",
            "description": (
                "CronJob mlops/mlops-troll-classifier-training has had no successful run for "
                f"{hours} hours (threshold 26)."
            ),
        },
    }


def failed_cases() -> list[dict]:
    at = {"eval_time": "10m", "alertname": "TrainingRunFailed"}
    return [
        {
            "name": "a failed first run fires, once its Job has failed",
            "interval": "1m",
            "input_series": job_series("first-champion", labels=TRAINING, start=60, failed_at=5),
            "alert_rule_test": [
                {"eval_time": "4m", "alertname": "TrainingRunFailed", "exp_alerts": []},
                {**at, "exp_alerts": [failed_alert("first-champion")]},
            ],
        },
        {
            "name": "a run that failed after the last success fires",
            "interval": "1m",
            "input_series": job_series("train-1", labels=TRAINING, start=0, completed=120)
            + job_series("train-2", labels=TRAINING, start=300, failed_at=6),
            "alert_rule_test": [{**at, "exp_alerts": [failed_alert("train-2")]}],
        },
        {
            "name": "a later success clears an earlier failure",
            "interval": "1m",
            "input_series": job_series("train-1", labels=TRAINING, start=0, failed_at=2)
            + job_series("train-2", labels=TRAINING, start=300, completed=420),
            "alert_rule_test": [{**at, "exp_alerts": []}],
        },
        {
            "name": "a failed Job of another app is not training's",
            "interval": "1m",
            "input_series": job_series("report-1", labels=OTHER_APP, start=60, failed_at=2),
            "alert_rule_test": [{**at, "exp_alerts": []}],
        },
    ]


def missing_cases() -> list[dict]:
    return [
        {
            "name": "no success since creation fires after the threshold and its for",
            "interval": "1m",
            "input_series": cronjob_series(created=0),
            "alert_rule_test": [
                {"eval_time": "26h", "alertname": "TrainingRunsMissing", "exp_alerts": []},
                {
                    "eval_time": "28h",
                    "alertname": "TrainingRunsMissing",
                    "exp_alerts": [missing_alert("28.0")],
                },
            ],
        },
        {
            "name": "a success within the threshold keeps it quiet",
            "interval": "1m",
            "input_series": cronjob_series(created=0, last_success=20 * HOUR),
            "alert_rule_test": [
                {"eval_time": "28h", "alertname": "TrainingRunsMissing", "exp_alerts": []}
            ],
        },
        {
            "name": "a stale last success fires",
            "interval": "1m",
            "input_series": cronjob_series(created=0, last_success=HOUR),
            "alert_rule_test": [
                {
                    "eval_time": "29h",
                    "alertname": "TrainingRunsMissing",
                    "exp_alerts": [missing_alert("28.0")],
                }
            ],
        },
        {
            "name": "a suspended CronJob is left out",
            "interval": "1m",
            "input_series": cronjob_series(created=0, suspended=True),
            "alert_rule_test": [
                {"eval_time": "28h", "alertname": "TrainingRunsMissing", "exp_alerts": []}
            ],
        },
    ]


def rendered_rules() -> str:
    [config] = [
        o
        for o in render_chart("monitoring")
        if o["kind"] == "ConfigMap" and "alerts.yml" in o.get("data", {})
    ]
    return config["data"]["alerts.yml"]


def test_training_alerts_fire_on_failed_and_missing_runs_only(
    promtool_image: str, tmp_path: Path
) -> None:
    (tmp_path / "alerts.yml").write_text(rendered_rules())
    tests = {
        "rule_files": ["alerts.yml"],
        "evaluation_interval": "1m",
        "tests": failed_cases() + missing_cases(),
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    tmp_path.chmod(0o755)
    result = docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "65534:65534",
        "--volume",
        f"{tmp_path}:/rules:ro",
        "--workdir",
        "/rules",
        "--entrypoint",
        "/bin/promtool",
        promtool_image,
        "test",
        "rules",
        "tests.yml",
        check=False,
    )
    assert result.returncode == 0, f"promtool test rules:\n{result.stdout}{result.stderr}"
    print(f"\n{result.stdout.strip()}")
