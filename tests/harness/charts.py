"""Chart discovery and helm operations (dependency build, lint, template).

Every chart under charts/ is found by its Chart.yaml, so a chart added later is
tested without editing any test. A chart's test cases are its default values
plus: for the umbrella, every profile in values/; for a subchart, every file
in its ci/ folder (the chart-testing convention).
"""

import asyncio
import functools
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from pyhelm3.command import Command

from tests.harness import crds
from tests.harness.paths import CHARTS_DIR, PROFILES_DIR, REPO_ROOT, tool

UMBRELLA = "platform"
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


@dataclass(frozen=True)
class Case:
    """One chart rendered with one values file (None: the chart's defaults)."""

    chart: Chart
    values_file: Path | None

    @property
    def id(self) -> str:
        values = self.values_file.stem if self.values_file else "defaults"
        return f"{self.chart.name}[{values}]"


def discover_charts() -> list[Chart]:
    charts = []
    for chart_yaml in sorted(CHARTS_DIR.glob("*/Chart.yaml")):
        meta = yaml.safe_load(chart_yaml.read_text())
        deps = tuple(d["name"] for d in meta.get("dependencies") or [])
        charts.append(Chart(meta["name"], chart_yaml.parent, meta.get("type", "application"), deps))
    return charts


def discover_cases() -> list[Case]:
    cases = []
    for chart in discover_charts():
        cases.append(Case(chart, None))
        if chart.name == UMBRELLA:
            extra = sorted(PROFILES_DIR.glob("*.yaml"))
        else:
            extra = sorted((chart.path / "ci").glob("*.yaml"))
        cases.extend(Case(chart, f) for f in extra)
    return cases


def run_helm(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tool("helm")), *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=check,
    )


def build_dependencies() -> None:
    """`helm dependency build` for every chart, dependencies first, so the
    umbrella packages the current subchart sources."""
    charts = {c.name: c for c in discover_charts()}
    done: set[str] = set()

    def build(name: str) -> None:
        if name in done:
            return
        for dep in charts[name].dependencies:
            build(dep)
        if charts[name].dependencies:
            result = run_helm("dependency", "build", charts[name].path, check=False)
            if result.returncode != 0:
                hint = ""
                if "out of sync" in result.stderr:
                    hint = f"\nrun: helm dependency update {charts[name].path}"
                raise RuntimeError(f"helm dependency build {name} failed:\n{result.stderr}{hint}")
        done.add(name)

    for name in charts:
        build(name)


def lint(case: Case) -> subprocess.CompletedProcess:
    args = ["lint", "--strict", case.chart.path]
    if case.values_file:
        args += ["--values", case.values_file]
    return run_helm(*args, check=False)


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


@functools.cache
def render_case(case: Case) -> tuple[dict, ...]:
    """Rendered objects of a case, cached for the session (render once, check many)."""
    return tuple(render(case.chart.path, load_values(case.values_file)))


def render_notes(chart_path: Path, values: dict) -> str:
    """NOTES.txt as `helm install` would print it. helm template skips NOTES, so a
    throwaway copy of the chart renders it through `tpl` inside a ConfigMap."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / chart_path.name
        shutil.copytree(chart_path, copy)
        (copy / "notes-preview").mkdir()
        shutil.move(copy / "templates" / "NOTES.txt", copy / "notes-preview" / "NOTES.txt")
        (copy / "templates" / "zz-notes-preview.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-preview\ndata:\n"
            '  notes: {{ tpl (.Files.Get "notes-preview/NOTES.txt") . | quote }}\n'
        )
        objects = render(copy, values)
    [preview] = [o for o in objects if o["metadata"]["name"] == "notes-preview"]
    return preview["data"]["notes"]
