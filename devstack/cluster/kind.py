"""The `kind` provider: a kind cluster (Kubernetes in Docker) through pytest-kind's
KindCluster, for users' CI and machines with a Docker engine; its pods really run, so
the model image is loaded into it. Exercised by ci/ where a Docker engine exists."""

import os
import shutil
import subprocess
from pathlib import Path

from devstack.cluster.base import Cluster, ClusterError, kubectl_binary, remove_state, state_root
from devstack.console import say


def docker_engine_answers(timeout: float = 15) -> bool:
    """Whether a Docker engine responds (the CLI alone is not enough)."""
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _has_content(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


class KindProvider(Cluster):
    provider = "kind"

    def __init__(self, name: str, state: Path | None = None) -> None:
        super().__init__(name)
        self.state = state or state_root() / name
        self._kind = None

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = []
        if not docker_engine_answers():
            missing.append("a Docker engine (none answers `docker info`)")
        if not shutil.which("kind"):
            missing.append("the kind CLI (go install sigs.k8s.io/kind@<version>)")
        return f"needs {' and '.join(missing)}" if missing else None

    def _cluster(self):
        if self._kind is None:
            from pytest_kind import KindCluster  # noqa: PLC0415 - only where kind can run

            self.state.mkdir(parents=True, exist_ok=True)
            self._kind = KindCluster(
                self.name,
                kubeconfig=self.kubeconfig,
                # e.g. kindest/node:v1.37.x to match the local provider; kind's default otherwise.
                image=os.environ.get("MLOPS_KIND_IMAGE"),
                kind_path=Path(shutil.which("kind") or "kind"),
                kubectl_path=Path(kubectl_binary()),
            )
        return self._kind

    def create(self, reuse: bool = False) -> None:
        reason = self.unavailable_reason()
        if reason:
            raise ClusterError(f"cannot start a kind cluster: {reason}")
        if not reuse:
            self.delete()
        elif self.name in self._clusters() and not _has_content(self.kubeconfig):
            # pytest-kind re-uses a running cluster but only writes the kubeconfig it creates.
            self.state.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    "kind",
                    "export",
                    "kubeconfig",
                    f"--name={self.name}",
                    f"--kubeconfig={self.kubeconfig}",
                ],
                check=True,
            )
        say(f"starting kind cluster {self.name}")
        self._cluster().create()  # re-uses a running cluster of that name

    def delete(self) -> None:
        if shutil.which("kind") and self.name in self._clusters():
            say(f"deleting kind cluster {self.name}")
            self._cluster().delete()
        remove_state(self.state)

    def is_up(self) -> bool:
        return self.kubeconfig.exists() and self.name in self._clusters()

    def load_image(self, image: str) -> None:
        self._cluster().load_docker_image(image)

    def _clusters(self) -> list[str]:
        result = subprocess.run(
            ["kind", "get", "clusters"], capture_output=True, text=True, check=False
        )
        return result.stdout.split() if result.returncode == 0 else []
