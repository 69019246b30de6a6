"""The users' pipeline files run here, a reduced job set (`make ci-local` runs them all):
the GitHub workflow's lint-and-static job through act, on this host, and the GitLab
pipeline's release-chart job through gitlab-ci-local's shell executor, pushing the chart
to a registry on 127.0.0.1 that the run starts and stops. The chart is pulled back from
there by its OCI reference."""

import json
import subprocess

import pytest

from devstack.paths import REPO_ROOT
from devstack.pipelines.local_run import RESULTS_DIR, chart_version, report, run_pipelines


@pytest.fixture(scope="module")
def summary():
    tools = subprocess.run([REPO_ROOT / "toolchain" / "setup.sh", "ci_tools"], check=False)
    if tools.returncode != 0:
        pytest.fail("toolchain/setup.sh ci_tools failed (its output is above)")
    summary = run_pipelines(reduced=True)
    print(report(summary))
    return summary


def _log_tail(name: str) -> str:
    path = RESULTS_DIR / name
    return path.read_text(errors="replace")[-3000:] if path.is_file() else f"(no {name})"


def test_the_github_workflows_lint_and_static_job_runs_and_passes_under_act(summary) -> None:
    jobs = [(j["job"], j["passed"]) for j in summary.jobs if j["pipeline"] == "github"]
    assert jobs == [("lint-and-static", True)], _log_tail("act.log")


def test_the_gitlab_release_job_pushes_the_chart_and_it_pulls_back_by_reference(summary) -> None:
    jobs = [(j["job"], j["passed"]) for j in summary.jobs if j["pipeline"] == "gitlab"]
    assert jobs == [("release-chart", True)], _log_tail("gitlab-ci-local.log")
    pulled = summary.chart_digests.get("gitlab")
    assert pulled, "the chart was not found in the run's registry after the release job"
    assert pulled["digest"].startswith("sha256:") and len(pulled["digest"]) == 71
    assert (pulled["name"], pulled["version"]) == ("platform", chart_version())


def test_what_cannot_run_here_is_named_with_why(summary) -> None:
    saved = json.loads((RESULTS_DIR / "summary.json").read_text())
    named = {(j["pipeline"], j["job"]) for j in saved["not_run"]}
    assert named == {("github", "kind"), ("gitlab", "model-image"), ("gitlab", "kind")}
    assert all(len(j["why"]) > 40 for j in saved["not_run"])
