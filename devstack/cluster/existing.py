"""The `existing` provider: the cluster a kubeconfig points at; never created nor
deleted here."""

import os
from pathlib import Path

from devstack.cluster.base import Cluster, ClusterError
from devstack.console import say


class ExistingCluster(Cluster):
    provider = "existing"

    def __init__(
        self, name: str = "existing", kubeconfig: Path | None = None, context: str | None = None
    ) -> None:
        super().__init__(name)
        self._kubeconfig = kubeconfig
        self.context = context or os.environ.get("MLOPS_KUBE_CONTEXT") or None

    @property
    def kubeconfig(self) -> Path:
        if self._kubeconfig:
            return self._kubeconfig
        paths = os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config"))
        if os.pathsep in paths:
            raise ClusterError(f"KUBECONFIG lists several files ({paths}): name one")
        return Path(paths)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        path = os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config"))
        if os.pathsep not in path and not Path(path).exists():
            return f"no kubeconfig at {path} (set KUBECONFIG, and MLOPS_KUBE_CONTEXT if needed)"
        return None

    def create(self, reuse: bool = False) -> None:
        if not self.is_up():
            raise ClusterError(
                f"the cluster of {self.kubeconfig} (context {self.context or 'current'}) "
                "does not answer"
            )
        say(f"using existing cluster {self.context or 'current context'} of {self.kubeconfig}")

    def delete(self) -> None:
        """Not ours: left as it is."""

    def is_up(self) -> bool:
        try:
            self.kubectl("get", "--raw=/readyz", timeout=15)
        except ClusterError:
            return False
        return True
