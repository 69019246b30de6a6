"""In-cluster training, as rendered: the first-champion Job and the continuous-training
CronJob run a verb the CLI really has, against the database and Secret key the
postgresql chart really creates, the MLflow the serving pods use, on training nodes."""

import pytest
import yaml

from devstack import charts
from devstack.paths import PLATFORM_CHART, chart_dir
from model_service.cli import parser
from model_service.settings import Settings
from tests.harness.helm_release import profile_values

TRAINING = {
    "troll-classifier": {
        "model": {"source": "registry"},
        "training": {
            "enabled": True,
            "nodeSelector": {"pool": "training"},
            "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
    }
}


def training_pods(objects: list[dict]) -> dict[str, dict]:
    """Kind -> the pod spec of the Job and of the CronJob's job template."""
    pods = {}
    for obj in objects:
        if obj["metadata"]["labels"].get("app.kubernetes.io/component") != "training":
            continue
        if obj["kind"] == "Job":
            pods["Job"] = obj["spec"]["template"]["spec"]
        elif obj["kind"] == "CronJob":
            pods["CronJob"] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert set(pods) == {"Job", "CronJob"}, sorted(pods)
    return pods


def named(objects: list[dict], kind: str, name: str) -> dict:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def env(container: dict) -> dict[str, dict | str]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return charts.render(PLATFORM_CHART, profile_values("local", TRAINING))


def test_both_run_a_verb_the_cli_has(objects: list[dict]) -> None:
    pods = training_pods(objects)
    argv = {kind: pod["containers"][0]["args"] for kind, pod in pods.items()}
    assert argv == {"Job": ["retrain", "--unless-champion"], "CronJob": ["retrain"]}
    for kind, pod in pods.items():
        assert pod["containers"][0]["command"] == ["python", "-m", "model_service"]
        assert parser().parse_args(argv[kind]).verb == "retrain"
        assert pod["restartPolicy"] == "Never"


def test_they_read_a_table_the_postgresql_chart_creates(objects: list[dict]) -> None:
    bootstrap = named(objects, "ConfigMap", "mlops-postgresql-bootstrap")
    secret = named(objects, "Secret", "mlops-postgresql")
    for pod in training_pods(objects).values():
        variables = env(pod["containers"][0])
        assert (
            variables["TROLL_DATASET_URL"] == "postgresql://training@mlops-postgresql:5432/training"
        )
        key = variables["PGPASSWORD"]["secretKeyRef"]
        assert key["name"] == "mlops-postgresql" and key["key"] in secret["data"]
    # The bootstrap creates the database with its owner, who logs in with that password.
    script = bootstrap["data"]["ensure-databases.sh"]
    assert 'run_psql -v db="training" -v owner="training"' in script
    assert 'run_psql -v owner="training" -v password="$OWNER_PASSWORD_TRAINING"' in script


def test_they_use_the_serving_pods_mlflow_on_training_nodes(objects: list[dict]) -> None:
    config = named(objects, "ConfigMap", "mlops-troll-classifier")
    serving = named(objects, "Deployment", "mlops-troll-classifier")
    for pod in training_pods(objects).values():
        variables = env(pod["containers"][0])
        assert variables["MLFLOW_TRACKING_URI"] == config["data"]["MLFLOW_TRACKING_URI"]
        assert pod["nodeSelector"] == {"pool": "training"}
        assert pod["tolerations"][0]["key"] == "gpu"
    assert "tolerations" not in serving["spec"]["template"]["spec"]


def test_a_new_image_replaces_the_first_champion_job_instead_of_patching_it() -> None:
    names = set()
    for tag in ("1.0.0", "1.0.1"):
        overlay = {"troll-classifier": {"training": {"image": {"tag": tag}}}}
        rendered = charts.render(PLATFORM_CHART, profile_values("local", TRAINING, overlay))
        [job] = [
            o for o in rendered if o["kind"] == "Job" and "first-champion" in o["metadata"]["name"]
        ]
        names.add(job["metadata"]["name"])
    assert len(names) == 2, names


def test_training_needs_the_registry_as_model_source() -> None:
    baked = {"troll-classifier": {"model": {"source": "baked"}}}
    with pytest.raises(Exception, match="training.enabled needs model.source registry"):
        charts.render(PLATFORM_CHART, profile_values("local", TRAINING, baked))


def test_the_gate_and_the_wait_reach_the_cli_as_settings(objects: list[dict]) -> None:
    tuned = {
        "gate": {"minF1": 0.9, "maxDrop": 0.05, "maxNeutralFPR": 0.2, "maxSliceDrop": 0.3},
        "targetNeutralFPR": 0.02,
        "dependencyWaitSeconds": 60,
    }
    overlay = {"troll-classifier": {"training": tuned}}
    rendered = charts.render(PLATFORM_CHART, profile_values("local", TRAINING, overlay))
    for pod in training_pods(rendered).values():
        variables = env(pod["containers"][0])
        settings = Settings.from_env({k: v for k, v in variables.items() if isinstance(v, str)})
        assert (settings.gate_min_f1, settings.gate_max_drop) == (0.9, 0.05)
        assert (settings.gate_max_neutral_fpr, settings.gate_max_slice_drop) == (0.2, 0.3)
        assert (settings.target_neutral_fpr, settings.dependency_wait_seconds) == (0.02, 60)
    # The defaults are the CLI's own.
    for pod in training_pods(objects).values():
        variables = env(pod["containers"][0])
        settings = Settings.from_env({k: v for k, v in variables.items() if isinstance(v, str)})
        gate_and_target = (
            "gate_min_f1",
            "gate_max_drop",
            "gate_max_neutral_fpr",
            "gate_max_slice_drop",
            "target_neutral_fpr",
        )
        for name in gate_and_target:
            assert getattr(settings, name) == getattr(Settings, name), name


def test_by_default_the_published_image_serves_the_champion_a_job_trains() -> None:
    """A plain install: the chart's generic serving image loads the registry's champion,
    and the first-champion Job and the CronJob train it in the cluster."""
    objects = charts.render(PLATFORM_CHART, {})
    chart = yaml.safe_load((chart_dir("troll-classifier") / "Chart.yaml").read_text())
    deployment = named(objects, "Deployment", "mlops-troll-classifier")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"ghcr.io/mlops-platform/troll-classifier:{chart['appVersion']}"
    config = named(objects, "ConfigMap", "mlops-troll-classifier")
    assert config["data"]["TROLL_MODEL_URI"] == "models:/troll-classifier@champion"
    assert sorted(training_pods(objects)) == ["CronJob", "Job"]


def test_a_baked_model_needs_an_image_built_from_a_bento() -> None:
    baked = {"troll-classifier": {"model": {"source": "baked"}, "training": {"enabled": False}}}
    with pytest.raises(Exception, match="model.source baked needs an image with the model in it"):
        charts.render(PLATFORM_CHART, baked)
