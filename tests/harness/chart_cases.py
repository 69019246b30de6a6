"""Chart test cases: each chart with each values file that belongs to it.

A chart's test cases are its default values plus: for the umbrella, every profile in
values/; for a subchart, every file in its ci/ folder (the chart-testing convention).
Discovery, helm and rendering themselves live in devstack/charts.py.
"""

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack.charts import UMBRELLA, Chart, discover_charts, load_values, render, run_helm
from devstack.paths import PROFILES_DIR


@dataclass(frozen=True)
class Case:
    """One chart rendered with one values file (None: the chart's defaults)."""

    chart: Chart
    values_file: Path | None

    @property
    def id(self) -> str:
        values = self.values_file.stem if self.values_file else "defaults"
        return f"{self.chart.name}[{values}]"


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


def lint(case: Case) -> subprocess.CompletedProcess:
    args = ["lint", "--strict", case.chart.path]
    if case.values_file:
        args += ["--values", case.values_file]
    return run_helm(*args, check=False)


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
