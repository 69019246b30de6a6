"""What every cluster provider offers (devstack/cluster/__init__.py chooses one)."""

import contextlib
import shutil
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import kubernetes

from devstack.paths import TOOLS_BIN, run_dir


class ClusterError(RuntimeError):
    """A cluster could not be created, reached or removed; the message says why."""


def state_root() -> Path:
    """Where providers keep per-cluster state (kubeconfig, kwok work dir, logs)."""
    return run_dir("cluster", "MLOPS_CLUSTER_DIR")


def remove_state(state: Path) -> None:
    """Remove a cluster's state folder, and the checkout's root under /tmp once it holds
    no other cluster: a run leaves no empty folder behind."""
    shutil.rmtree(state, ignore_errors=True)
    if state.parent == state_root():
        with contextlib.suppress(OSError):  # another cluster of this checkout is in it
            state.parent.rmdir()


def kubectl_binary() -> str:
    """The pinned kubectl built by toolchain/setup.sh, else one on PATH."""
    pinned = TOOLS_BIN / "kubectl"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("kubectl")
    if not found:
        raise ClusterError(f"kubectl is missing: run `make setup` (it builds {pinned})")
    return found


class Cluster(ABC):
    """A Kubernetes cluster that can be created, reached and deleted."""

    provider: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name
        self.context: str | None = None

    @property
    @abstractmethod
    def kubeconfig(self) -> Path:
        """Path of a kubeconfig file whose current context (or self.context) is this cluster."""

    @abstractmethod
    def create(self, reuse: bool = False) -> None:
        """Start the cluster and wait until it accepts workloads. Leftovers of an earlier
        run of the same name are removed first, unless `reuse` and it is healthy."""

    @abstractmethod
    def delete(self) -> None:
        """Stop the cluster and remove what create() made; a no-op when nothing is there."""

    @abstractmethod
    def is_up(self) -> bool:
        """Whether the API server answers."""

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this provider cannot work on this machine, or None."""
        return None

    def load_image(self, image: str) -> None:
        raise ClusterError(f"the {self.provider} provider cannot load container images")

    def api_client(self) -> kubernetes.client.ApiClient:
        """A kubernetes client for this cluster (close it, or use it as a context manager)."""
        return kubernetes.config.new_client_from_config(
            config_file=str(self.kubeconfig), context=self.context
        )

    def kube_version(self) -> str:
        """gitVersion from the API server's /version, e.g. v1.37.2."""
        with self.api_client() as api:
            return kubernetes.client.VersionApi(api).get_code().git_version

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        """Run kubectl against this cluster and return its stdout; raise with its output."""
        argv = [kubectl_binary(), f"--kubeconfig={self.kubeconfig}"]
        if self.context:
            argv.append(f"--context={self.context}")
        argv += args
        try:
            result = subprocess.run(
                argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise ClusterError(f"kubectl {' '.join(args)} timed out after {timeout:.0f}s") from err
        if result.returncode != 0:
            raise ClusterError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout

    def status(self) -> dict:
        """A summary for humans and `python -m devstack.cluster status`."""
        info: dict = {
            "provider": self.provider,
            "name": self.name,
            "kubeconfig": str(self.kubeconfig),
            "up": self.is_up(),
        }
        if info["up"]:
            info["version"] = self.kube_version()
            info["nodes"] = self.kubectl(
                "get",
                "nodes",
                "-o",
                "custom-columns=NAME:.metadata.name,"
                "ARCH:.metadata.labels.kubernetes\\.io/arch,"
                "READY:.status.conditions[?(@.type=='Ready')].status",
                "--no-headers",
            ).split("\n")[:-1]
        return info
