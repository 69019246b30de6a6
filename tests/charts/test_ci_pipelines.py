"""The CI pipelines in ci/ cannot run here (no Docker engine), so they are
checked statically: actionlint for GitHub Actions, structure for GitLab CI, and
both must call commands that exist in this repository."""

import re
import subprocess
from pathlib import Path

import yaml

from devstack.paths import REPO_ROOT, tool

CI = REPO_ROOT / "ci"
GITLAB_KEYWORDS = {"stages", "default", "variables", "include", "workflow", "image", "services"}


def make_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE))


def commands(text: str) -> set[str]:
    """make targets a pipeline runs: `make X` opening a command (after `- `, `run: ` or
    environment assignments), not the word make in a package list."""
    return set(
        re.findall(r"(?:^[\s-]*|run:\s*|=\S+\s+)make ([a-z][a-z0-9-]*)", text, flags=re.MULTILINE)
    )


def test_github_workflow_passes_actionlint() -> None:
    result = subprocess.run(
        [str(tool("actionlint")), "-no-color", str(CI / "github-actions.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_pipeline_is_well_formed() -> None:
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    stages = pipeline["stages"]
    jobs = {name: job for name, job in pipeline.items() if name not in GITLAB_KEYWORDS}
    assert jobs, "no jobs"
    for name, job in jobs.items():
        assert job.get("stage") in stages, f"job {name}: stage {job.get('stage')!r} not in {stages}"
        assert isinstance(job.get("script"), list) and job["script"], f"job {name} has no script"
    used = {job["stage"] for job in jobs.values()}
    assert used == set(stages), f"stages without jobs: {set(stages) - used}"


def test_pipelines_call_make_targets_that_exist() -> None:
    targets = make_targets()
    for path in (CI / "github-actions.yaml", CI / "gitlab-ci.yml"):
        missing = commands(path.read_text()) - targets
        assert not missing, f"{path.name} calls missing make targets: {missing}"


def test_pipelines_cover_every_stage_users_need() -> None:
    for path in (CI / "github-actions.yaml", CI / "gitlab-ci.yml"):
        text = path.read_text()
        for needle in (
            "make lint",
            "TIER=cluster",
            "linux/arm64",
            "helm test",
            "loadtests",
            "helm push",
        ):
            assert needle in text, f"{path.name} lacks {needle!r}"


def test_every_pipeline_file_is_checked() -> None:
    assert {p.name for p in Path(CI).iterdir()} == {"github-actions.yaml", "gitlab-ci.yml"}
