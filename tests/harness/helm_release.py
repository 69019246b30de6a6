"""One Helm release of the platform chart on a real cluster, driven through pyhelm3.

pyhelm3 (0.5.8) covers install/upgrade, rollback, status, history, values and
uninstall. Where it falls short this module runs helm itself:
- `helm test` has no wrapper: run as a plain subprocess (argv, no shell);
- `--dry-run=server`: pyhelm3's dry_run is client-side only and its `server_side`
  means Helm 4's server-side apply (dropped on Helm 3), so the command is built here
  and run through pyhelm3's Command (which goes through a shell; argv is shlex-quoted);
- `disable_validation` is broken in pyhelm3 (it extends argv by characters): never used.
"""

import asyncio
import copy
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyhelm3
import yaml
from pyhelm3 import errors
from pyhelm3.models import ReleaseRevision

from devstack.paths import PLATFORM_CHART, PROFILES_DIR, tool

# Helm's own timeout for --wait, install and test; kind in CI pulls real images.
HELM_TIMEOUT = os.environ.get("MLOPS_HELM_TIMEOUT", "5m")

__all__ = ["HelmRelease", "HelmTestRun", "deep_merge", "errors", "profile_values"]


def profile_values(profile: str, *overlays: dict) -> dict:
    """values/<profile>.yaml with overlays merged on top (later wins)."""
    values = yaml.safe_load((PROFILES_DIR / f"{profile}.yaml").read_text()) or {}
    return deep_merge(values, *overlays)


def deep_merge(base: dict, *overlays: dict) -> dict:
    """Helm's merge of values files: maps merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for overlay in overlays:
        for key, value in overlay.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class HelmTestRun:
    """The result of `helm test`: exit code, output and each test suite's phase."""

    returncode: int
    output: str
    phases: dict[str, str]


class HelmRelease:
    """A named release of the platform chart in one namespace of one cluster."""

    def __init__(
        self,
        kubeconfig: Path,
        name: str,
        namespace: str,
        context: str | None = None,
        chart: Path = PLATFORM_CHART,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.context = context
        self.chart_path = chart.resolve()
        self.command = pyhelm3.Command(
            executable=str(tool("helm")),
            kubeconfig=kubeconfig,
            kubecontext=context,
            default_timeout=HELM_TIMEOUT,
        )
        self.client = pyhelm3.Client(self.command, executable=str(tool("helm")))
        self._release = pyhelm3.Release(self.command, name=name, namespace=namespace)
        self._chart: pyhelm3.Chart | None = None

    def __repr__(self) -> str:
        return f"release {self.name} in namespace {self.namespace}"

    # -- pyhelm3 ---------------------------------------------------------------------------

    def install(
        self, values: dict, wait: bool = True, timeout: str | None = None
    ) -> ReleaseRevision:
        """`helm upgrade --install` (a first revision, or the next one) with these values;
        `timeout` (e.g. "15m") overrides HELM_TIMEOUT for --wait."""
        return _run(
            self.client.install_or_upgrade_release(
                self.name,
                self.chart,
                values,
                namespace=self.namespace,
                create_namespace=True,
                wait=wait,
                timeout=timeout,
            )
        )

    upgrade = install

    def rollback(self, revision: int, wait: bool = True) -> ReleaseRevision:
        return _run(self._release.rollback(revision, wait=wait))

    def uninstall(self, wait: bool = True) -> None:
        _run(self.client.uninstall_release(self.name, namespace=self.namespace, wait=wait))

    def current(self) -> ReleaseRevision | None:
        """The current revision, or None when the release does not exist."""
        try:
            return _run(self.client.get_current_revision(self.name, namespace=self.namespace))
        except errors.ReleaseNotFoundError:
            return None

    def history(self) -> list[ReleaseRevision]:
        return list(_run(self._release.history()))

    def user_values(self, revision: ReleaseRevision) -> dict:
        """The values given for a revision (`helm get values`), without chart defaults."""
        return _run(revision.values()) or {}

    def objects(self, revision: ReleaseRevision | None = None) -> list[dict]:
        """The objects of a revision's manifest (the current one by default), hooks excluded."""
        revision = revision or self.current()
        if revision is None:
            raise LookupError(f"{self} does not exist")
        return [o for o in _run(revision.resources()) if o]

    def test_hooks(self, revision: ReleaseRevision | None = None) -> list[str]:
        """Names of the release's `helm test` hooks."""
        revision = revision or self.current()
        if revision is None:
            raise LookupError(f"{self} does not exist")
        return sorted(h.name for h in _run(revision.hooks()) if "test" in h.events)

    @property
    def chart(self) -> pyhelm3.Chart:
        if self._chart is None:
            self._chart = _run(self.client.get_chart(self.chart_path))
        return self._chart

    # -- helm directly ---------------------------------------------------------------------

    def dry_run_server(self, values: dict) -> dict:
        """`helm install --dry-run=server`: rendered against the live cluster (its real
        capabilities and `lookup`s), schema-checked and checked for clashes with existing
        objects, then discarded. Returns the would-be release (manifest, hooks, notes).

        Helm does not send the objects to the API server here; see
        kube_objects.server_dry_run for that."""
        args = [
            "install",
            self.name,
            str(self.chart_path),
            "--namespace",
            self.namespace,
            "--dry-run=server",
            "--output",
            "json",
            "--values",
            "-",
        ]
        output = _run(self.command.run(args, json.dumps(values).encode()))
        return json.loads(output[output.index(b"{") :])

    def install_from_registry(
        self, reference: str, version: str, values: dict, timeout: str = HELM_TIMEOUT
    ) -> None:
        """`helm install --wait` of a chart published to an OCI registry without TLS
        (`oci://HOST/REPO`, --plain-http; pyhelm3 has no such option)."""
        args = ["install", self.name, reference, "--version", version, "--plain-http"]
        args += ["--namespace", self.namespace, "--create-namespace", "--wait"]
        args += ["--timeout", timeout, "--values", "-"]
        _run(self.command.run(args, json.dumps(values).encode()))

    def dry_run_objects(self, values: dict) -> list[dict]:
        """The objects `helm install --dry-run=server` would create, hooks included."""
        result = self.dry_run_server(values)
        if result["info"]["description"] != "Dry run complete":
            raise RuntimeError(f"helm dry run of {self}: {result['info']}")
        objects = [o for o in yaml.safe_load_all(result["manifest"]) if o]
        return objects + [yaml.safe_load(hook["manifest"]) for hook in result.get("hooks", [])]

    def run_tests(self, timeout: str = HELM_TIMEOUT) -> HelmTestRun:
        """`helm test` (pyhelm3 has no wrapper): runs every test hook to completion."""
        argv = [str(tool("helm")), "test", self.name, "--namespace", self.namespace]
        argv += ["--timeout", timeout, "--kubeconfig", str(self.kubeconfig)]
        if self.context:
            argv += ["--kube-context", self.context]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        output = result.stdout + result.stderr
        return HelmTestRun(result.returncode, output, suite_phases(output))


def suite_phases(output: str) -> dict[str, str]:
    """{suite: phase} from `helm test` output ("TEST SUITE: x" ... "Phase: Succeeded")."""
    phases: dict[str, str] = {}
    suite = None
    for line in output.splitlines():
        if match := re.match(r"TEST SUITE:\s+(\S+)", line):
            suite = match.group(1)
        elif (match := re.match(r"Phase:\s+(\S+)", line)) and suite:
            phases[suite] = match.group(1)
            suite = None
    return phases


def _run(coroutine):
    return asyncio.run(coroutine)
