"""What the upstream programs accept, checked on the rendered configuration: values the
schema allows must never render a setting the program refuses at start."""

import json

import pytest
import yaml

from devstack import charts
from devstack.paths import PLATFORM_CHART, PROFILES_DIR, chart_dir

HARBOR = chart_dir("harbor")
# Log levels the registry (CNCF distribution) parses; it exits on any other.
REGISTRY_LEVELS = {"debug", "info", "warn", "error"}


def harbor_log_levels() -> list[str]:
    schema = json.loads((HARBOR / "values.schema.json").read_text())
    return schema["properties"]["logLevel"]["enum"]


@pytest.mark.parametrize("level", harbor_log_levels())
def test_every_harbor_log_level_renders_one_the_registry_accepts(level: str) -> None:
    objects = charts.render(HARBOR, {"logLevel": level})
    [config] = [
        yaml.safe_load(o["data"]["config.yml"])
        for o in objects
        if o["kind"] == "ConfigMap" and "ctl-config.yml" in o.get("data", {})
    ]
    registry_level = config["log"]["level"]
    assert registry_level in REGISTRY_LEVELS, f"logLevel {level} -> registry {registry_level}"
    expected = {"warning": "warn", "fatal": "error"}.get(level, level)
    assert registry_level == expected


def claims(objects: list[dict]) -> dict[str, str]:
    """Every claim the release makes (PVCs and StatefulSet templates) -> its class."""
    found = {
        o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "PersistentVolumeClaim"
    }
    for o in objects:
        if o["kind"] == "StatefulSet":
            for template in o["spec"].get("volumeClaimTemplates", []):
                found[f"{o['metadata']['name']}/{template['metadata']['name']}"] = template["spec"]
    return {name: spec.get("storageClassName", "<cluster default>") for name, spec in found.items()}


def test_the_raspberry_pi_profile_keeps_databases_off_nfs() -> None:
    values = charts.load_values(PROFILES_DIR / "raspberry-pi.yaml")
    nfs = values["nfs-provisioner"]["storageClass"]["name"]
    classes = claims(charts.render(PLATFORM_CHART, values))
    # Prometheus' TSDB needs a POSIX filesystem; PostgreSQL on NFS risks its data.
    databases = {n: c for n, c in classes.items() if "postgresql" in n or "prometheus" in n}
    assert len(databases) == 2, classes
    assert all(c == "local-path" for c in databases.values()), databases
    # The artefact volume every model pod shares is the one that belongs on NFS.
    assert classes["mlops-mlflow-artifacts"] == nfs, classes
