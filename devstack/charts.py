"""The project's charts and helm: discovery, helm runs and rendering.

The umbrella and every subchart in its charts/ folder are found by their Chart.yaml,
so a chart added later is rendered and tested without editing any list.
"""

import asyncio
import functools
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from pyhelm3.command import Command

from devstack import crds
from devstack.paths import PLATFORM_CHART, REPO_ROOT, SUBCHARTS_DIR, tool

UMBRELLA = PLATFORM_CHART.name
RELEASE = "mlops"
NAMESPACE = "mlops"


@dataclass(frozen=True)
class Chart:
    name: str
    path: Path
    type: str
    dependencies: tuple[str, ...]

    @property
    def is_library(self) -> bool:
        return self.type == "library"


def discover_charts() -> list[Chart]:
    charts = []
    found = [PLATFORM_CHART / "Chart.yaml", *sorted(SUBCHARTS_DIR.glob("*/Chart.yaml"))]
    for chart_yaml in found:
        meta = yaml.safe_load(chart_yaml.read_text())
        deps = tuple(d["name"] for d in meta.get("dependencies") or [])
        charts.append(Chart(meta["name"], chart_yaml.parent, meta.get("type", "application"), deps))
    return charts


def run_helm(
    *args: str | Path, check: bool = True, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tool("helm")), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
    )


@functools.cache
def _helm() -> Command:
    return Command(executable=str(tool("helm")))


def render(chart_path: Path, values: dict, with_crds: bool = True) -> list[dict]:
    """Render through pyhelm3's helm command (values go in as JSON on stdin).

    with_crds: render as for a cluster where the CRDs the charts target exist
    (cert-manager, prometheus-operator), so capability-gated objects appear.
    pyhelm3's template wrapper cannot pass --api-versions, hence the raw run.
    """
    args = ["template", RELEASE, str(chart_path), "--namespace", NAMESPACE, "--values", "-"]
    if with_crds:
        for api in crds.api_versions():
            args += ["--api-versions", api]
    output = asyncio.run(_helm().run(args, json.dumps(values).encode()))
    return [o for o in yaml.safe_load_all(output) if o]


def load_values(values_file: Path | None) -> dict:
    return yaml.safe_load(values_file.read_text()) or {} if values_file else {}
