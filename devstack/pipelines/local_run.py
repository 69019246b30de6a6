"""`make ci-local`: the users' pipelines run on this machine, end to end.

One run: a Docker engine (for the job that loads an image), a registry on 127.0.0.1,
BuildKit with arm64 emulated and the base images in that registry, then the GitHub
workflow through act and the GitLab pipeline through gitlab-ci-local, for a push of the
release tag v<chart version>, every push going to that registry. Then the arm64 model
image answers under emulation. What cannot run here is named in the summary, with why.
Everything started is stopped at the end, also after a failure.

The reduced set (the pipelines test tier) runs the GitHub lint-and-static job and the
GitLab release-chart job, with no image build.
"""

import contextlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from devstack.images import docker as engine
from devstack.paths import PLATFORM_CHART, REPO_ROOT, recorded_bento, run_dir, tool
from devstack.pipelines import images, runners
from devstack.pipelines.arm64_check import check_arm64_image
from devstack.pipelines.base_images import push_base_images
from devstack.pipelines.builder import multiarch_builder
from devstack.pipelines.registry import Registry, local_registry

RESULTS_DIR = REPO_ROOT / ".run" / "pipelines"
# Jobs that cannot run on this machine, and why.
NOT_HERE = {
    ("github", "kind"): "kind needs its node image from a container registry, and none is "
    "reachable here; the chart's install runs on a real node in the containers tier instead "
    "(switched off with vars.KIND_JOB=false)",
    ("gitlab", "model-image"): "it builds inside the docker:28-dind service, whose image no "
    "reachable registry serves (gitlab-ci-local starts services through Docker even with "
    "the shell executor); the same builds run in the GitHub workflow's image job",
    ("gitlab", "kind"): "the docker:28-dind service and kind's node image, which no reachable "
    "registry serves",
}
FULL = {
    "github": None,  # every job of the workflow
    "gitlab": ["lint-and-static", "component", "release-chart"],
}
REDUCED = {"github": ["lint-and-static"], "gitlab": ["release-chart"]}


@dataclass
class Summary:
    release: str
    registry: str
    jobs: list[dict] = field(default_factory=list)
    not_run: list[dict] = field(default_factory=list)
    chart_digests: dict[str, dict] = field(default_factory=dict)
    image_sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    arm64: dict | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        arm64_failed = self.arm64 is not None and "error" in self.arm64
        return bool(self.jobs) and all(job["passed"] for job in self.jobs) and not arm64_failed


def chart_version() -> str:
    return str(yaml.safe_load((PLATFORM_CHART / "Chart.yaml").read_text())["version"])


def image_sizes(registry: Registry, repository: str, tag: str) -> dict[str, int]:
    """Compressed size per platform of a pushed image: what a node downloads."""
    sizes = {}
    for entry in registry.manifest(repository, tag).get("manifests", []):
        platform = entry.get("platform", {})
        if platform.get("architecture") in (None, "unknown"):
            continue  # attestations
        manifest = registry.manifest(repository, entry["digest"])
        total = manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
        sizes[f"{platform['os']}/{platform['architecture']}"] = total
    return sizes


def run_pipelines(reduced: bool, only: dict[str, list[str]] | None = None) -> Summary:
    """The full or the reduced set; `only` ({"github": [...], "gitlab": [...]}) replaces
    a pipeline's jobs (act adds the jobs they need)."""
    jobs = {**(REDUCED if reduced else FULL), **(only or {})}
    start = time.monotonic()
    release = runners.Release(chart_version(), runners.head_commit())
    run = run_dir("pipelines", "MLOPS_PIPELINES_RUN_DIR")
    subprocess.run(["rm", "-rf", "--one-file-system", run], check=True)
    run.mkdir(parents=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started_engine = False
    try:
        if not reduced:
            started_engine = engine.start_engine()
        with contextlib.ExitStack() as stack:
            registry = stack.enter_context(local_registry(run / "registry"))
            prefix = f"{registry.host}/mlops"
            summary = Summary(release.tag, prefix)
            env = {"MLOPS_PIPELINE_ARTIFACTS": str(run / "artifacts")}
            if not reduced:
                builder = stack.enter_context(multiarch_builder(run / "buildkit", registry))
                push_base_images(builder, registry, run / "base-images")
                env.update(builder.env)
            if jobs["github"] != []:  # None: every job
                say(f"GitHub workflow with act: {', '.join(jobs['github'] or ['every job'])}")
                results = runners.run_github(jobs["github"], release, prefix, run, env)
                summary.jobs += [asdict(r) for r in results]
                _record_chart(summary, registry, "github", release, run)
            if jobs["gitlab"]:
                say(f"GitLab pipeline with gitlab-ci-local: {', '.join(jobs['gitlab'])}")
                results = runners.run_gitlab(jobs["gitlab"], release, prefix, run, env)
                summary.jobs += [asdict(r) for r in results]
                _record_chart(summary, registry, "gitlab", release, run)
            if not reduced:
                for image in images.IMAGES:
                    with contextlib.suppress(OSError):
                        summary.image_sizes[image] = image_sizes(
                            registry, f"mlops/{image}", release.version
                        )
                try:
                    summary.arm64 = _arm64(builder, registry, run)
                except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
                    summary.arm64 = {"error": str(error)}
            summary.not_run = [
                {"pipeline": p, "job": j, "why": why} for (p, j), why in NOT_HERE.items()
            ]
    finally:
        if started_engine:
            engine.stop_engine()
        for log in ("act.log", "gitlab-ci-local.log", "buildkit/buildkitd.log", "arm64-serve.log"):
            if (run / log).is_file():
                shutil.copyfile(run / log, RESULTS_DIR / Path(log).name)
        subprocess.run(["rm", "-rf", "--one-file-system", run], check=True)
    summary.seconds = round(time.monotonic() - start, 1)
    (RESULTS_DIR / "summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def _record_chart(
    summary: Summary, registry: Registry, pipeline: str, release: runners.Release, run: Path
) -> None:
    """The chart a release job pushed, pulled back by its OCI reference and read."""
    repository = "mlops/charts/platform"
    try:
        digest = registry.manifest_digest(repository, release.version)
    except OSError:
        return  # this pipeline's jobs pushed no chart
    pulled = run / f"pulled-{pipeline}"
    pulled.mkdir(exist_ok=True)
    reference = f"oci://{registry.host}/{repository}"
    subprocess.run(
        [
            tool("helm"),
            "pull",
            reference,
            "--version",
            release.version,
            "--plain-http",
            "-d",
            pulled,
        ],
        check=True,
    )
    [archive] = pulled.glob("*.tgz")
    with tarfile.open(archive) as tar:
        chart = yaml.safe_load(tar.extractfile("platform/Chart.yaml"))
    summary.chart_digests[pipeline] = {
        "reference": f"{reference}:{release.version}",
        "digest": digest,
        "name": chart["name"],
        "version": str(chart["version"]),
    }


def _arm64(builder, registry: Registry, run: Path) -> dict:
    bento = recorded_bento()
    if bento is None:
        say("make model (the Bento the arm64 image bakes in)")
        subprocess.run(["make", "--no-print-directory", "model"], cwd=REPO_ROOT, check=True)
        bento = recorded_bento()
    return asdict(check_arm64_image(builder, registry, bento, run))


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", file=sys.stderr, flush=True)


def report(summary: Summary) -> str:
    lines = [f"pipelines for {summary.release}, pushes to {summary.registry}:"]
    for job in summary.jobs:
        verdict = "passed" if job["passed"] else "FAILED"
        lines.append(f"  {job['pipeline']:7} {job['job']:16} {verdict:7} {job['seconds']:7.0f} s")
    for job in summary.not_run:
        lines.append(f"  {job['pipeline']:7} {job['job']:16} not run here: {job['why']}")
    for pipeline, chart in summary.chart_digests.items():
        lines.append(f"  chart pushed by {pipeline}: {chart['reference']}@{chart['digest']}")
    for image, sizes in summary.image_sizes.items():
        shown = ", ".join(f"{p} {size / 1e6:.0f} MB" for p, size in sorted(sizes.items()))
        lines.append(f"  {image}: {shown} (compressed)")
    if summary.arm64 and "error" in summary.arm64:
        lines.append(f"  arm64 under emulation FAILED: {summary.arm64['error']}")
    elif summary.arm64:
        lines.append(
            f"  arm64 under emulation: /livez {summary.arm64['livez_status']} after "
            f"{summary.arm64['start_seconds']:.0f} s; /classify {summary.arm64['classify']}"
        )
    lines.append(f"  took {summary.seconds / 60:.1f} min; results in {RESULTS_DIR}/summary.json")
    return "\n".join(lines)
