"""Run the users' pipeline files as they are: ci/github-actions.yaml with act on this
host (jobs on the host, the marketplace actions replaced by actions/), and
ci/gitlab-ci.yml with gitlab-ci-local's shell executor. Each returns which jobs ran
and how they ended, read from the tool's own report."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from devstack.paths import REPO_ROOT, tool
from devstack.processes import stop_process_tree

GITHUB_WORKFLOW = REPO_ROOT / "ci" / "github-actions.yaml"
GITLAB_PIPELINE = REPO_ROOT / "ci" / "gitlab-ci.yml"
STAND_INS = Path(__file__).resolve().parent / "actions"
# uses: in the workflow -> the stand-in folder act runs instead.
ACTIONS = {
    "actions/setup-go@v5": "setup-go",
    "actions/setup-python@v5": "setup-python",
    "actions/cache@v4": "cache",
    "docker/setup-qemu-action@v3": "setup-qemu-action",
    "docker/setup-buildx-action@v3": "setup-buildx-action",
    "docker/login-action@v3": "login-action",
    "actions/upload-artifact@v4": "upload-artifact",
    "actions/download-artifact@v4": "download-artifact",
}


@dataclass(frozen=True)
class JobResult:
    pipeline: str  # "github" or "gitlab"
    job: str
    passed: bool
    seconds: float


@dataclass(frozen=True)
class Release:
    """The pipelines' release event: a tag vVERSION of the commit checked out."""

    version: str
    sha: str

    @property
    def tag(self) -> str:
        return f"v{self.version}"


def head_commit() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run_github(
    jobs: list[str] | None, release: Release, registry: str, run: Path, env: dict[str, str]
) -> list[JobResult]:
    """act on the workflow for a push of the release tag: every job, or `jobs` and what
    they need. The kind job is switched off by its variable (docs/pipelines.md)."""
    event = run / "github-event.json"
    event.write_text(
        json.dumps({"ref": f"refs/tags/{release.tag}", "after": release.sha, "deleted": False})
    )
    command = [
        str(tool("act")),
        "push",
        "--workflows",
        str(GITHUB_WORKFLOW),
        "--eventpath",
        str(event),
        "-P",
        "ubuntu-24.04=-self-hosted",
        "--action-cache-path",
        str(run / "act"),
        "--concurrent-jobs",
        "1",
        "--json",
        "--var",
        f"REGISTRY={registry}",
        "--var",
        "KIND_JOB=false",
        "--var",
        "HELM_PUSH_FLAGS=--plain-http",
        "--secret",
        "REGISTRY_USER=mlops-ci-local",
        "--secret",
        "REGISTRY_PASSWORD=local-registry-takes-any",
    ]
    for uses, folder in ACTIONS.items():
        command += ["--local-repository", f"{uses}={STAND_INS / folder}"]
    for job in jobs or []:
        command += ["--job", job]
    return _github_results(_run_logged(command, run / "act.log", env, _act_progress))


def run_gitlab(
    jobs: list[str], release: Release, registry: str, run: Path, env: dict[str, str]
) -> list[JobResult]:
    """gitlab-ci-local on the pipeline for the release tag, exactly these jobs (jobs
    named on its command line run whatever their rules say), in the checkout."""
    state = os.path.relpath(run / "gitlab-ci-local", REPO_ROOT)
    command = [
        str(tool("gitlab-ci-local")),
        "--file",
        os.path.relpath(GITLAB_PIPELINE, REPO_ROOT),
        "--state-dir",
        state,
        "--force-shell-executor",
        "--no-color",
        "--variable",
        f"CI_COMMIT_TAG={release.tag}",
        "--variable",
        f"REGISTRY={registry}",
        "--variable",
        "HELM_PUSH_FLAGS=--plain-http",
        "--variable",
        "REGISTRY_USER=mlops-ci-local",
        "--variable",
        "REGISTRY_PASSWORD=local-registry-takes-any",
        # The jobs share the toolchain's cache with a developer's checkout.
        "--variable",
        f"XDG_CACHE_HOME={os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'}",
        *jobs,
    ]
    output = _run_logged(command, run / "gitlab-ci-local.log", env, _gitlab_progress)
    return _gitlab_results(output, jobs)


def _run_logged(command: list[str], log_path: Path, env: dict[str, str], progress) -> str:
    """Run a pipeline tool in the checkout, its whole output in `log_path`, one line per
    job step on the terminal."""
    lines = []
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            for line in process.stdout:
                log.write(line)
                lines.append(line)
                shown = progress(line)
                if shown:
                    print(f"   {shown}", file=sys.stderr, flush=True)
            process.wait()
        finally:
            if process.poll() is None:  # interrupted: the tool's jobs go with it
                _interrupt(process)
    return "".join(lines)


def _interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C to the tool's whole session first, so a pytest in a job tears its servers
    down; then TERM and KILL for whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=60)
    stop_process_tree(process.pid)


def _act_progress(line: str) -> str | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if "jobResult" in entry:
        return f"[{entry.get('job')}] job {entry['jobResult']}"
    if entry.get("stage") == "Main" and "stepResult" in entry:
        return f"[{entry.get('job')}] {entry.get('step')}: {entry['stepResult']}"
    return None


def _github_results(output: str) -> list[JobResult]:
    started: dict[str, float] = {}
    results = []
    for line in output.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        job = entry.get("jobID") or entry.get("job")
        if not job:
            continue
        started.setdefault(job, _timestamp(entry.get("time")))
        if "jobResult" in entry:
            took = _timestamp(entry.get("time")) - started[job]
            results.append(JobResult("github", job, entry["jobResult"] == "success", took))
    return results


def _timestamp(text: str | None) -> float:
    if not text:
        return time.time()
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


GITLAB_SUMMARY = re.compile(r"^\s*(PASS|FAIL)\s+(\S+)")
GITLAB_DURATION = re.compile(r"^(\S+)\s+finished in (\d+(?:\.\d+)?)\s*(ms|s|min)")


def _gitlab_progress(line: str) -> str | None:
    text = line.rstrip()
    if GITLAB_DURATION.match(text) or GITLAB_SUMMARY.match(text) or " starting shell" in text:
        return text.strip()
    return None


def _gitlab_results(output: str, jobs: list[str]) -> list[JobResult]:
    seconds: dict[str, float] = {}
    outcome: dict[str, bool] = {}
    scale = {"ms": 0.001, "s": 1, "min": 60}
    for line in output.splitlines():
        if match := GITLAB_DURATION.match(line.strip()):
            seconds[match[1]] = float(match[2]) * scale[match[3]]
        if match := GITLAB_SUMMARY.match(line):
            outcome[match[2]] = match[1] == "PASS"
    return [
        JobResult("gitlab", job, outcome.get(job, False), seconds.get(job, 0.0)) for job in jobs
    ]
