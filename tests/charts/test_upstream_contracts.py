"""What the upstream programs accept, checked on the rendered configuration: values the
schema allows must never render a setting the program refuses at start."""

import json

import pytest
import yaml

from devstack import charts
from devstack.paths import CHARTS_DIR

HARBOR = CHARTS_DIR / "harbor"
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
