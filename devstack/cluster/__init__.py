"""Kubernetes clusters for the cluster tier and `make up`, behind one interface.

Providers (local.py, kind.py, existing.py in this package):
  local     etcd + kube-apiserver + kube-controller-manager + kube-scheduler built from
            source by toolchain/setup.sh, started as plain processes by kwokctl, with kwok
            faking the nodes and the pods' lifecycle (no container runs);
  kind      a kind cluster through pytest-kind (needs a Docker engine and `kind`);
  existing  the cluster of $KUBECONFIG ($MLOPS_KUBE_CONTEXT picks a context).

Chosen by an explicit argument (pytest's --cluster-provider, the CLI's --provider), else
$MLOPS_CLUSTER_PROVIDER, else automatically: kind when a Docker engine answers and kind is
installed, local otherwise.

    python -m devstack.cluster {up|down|status} [--provider P] [--name N]
"""

import os
import shutil

from devstack.cluster.base import Cluster, ClusterError
from devstack.cluster.existing import ExistingCluster
from devstack.cluster.kind import KindProvider, docker_engine_answers
from devstack.cluster.local import LocalCluster

PROVIDERS: dict[str, type[Cluster]] = {
    "local": LocalCluster,
    "kind": KindProvider,
    "existing": ExistingCluster,
}
ENV_PROVIDER = "MLOPS_CLUSTER_PROVIDER"
DEFAULT_NAME = "mlops"

__all__ = ["PROVIDERS", "Cluster", "ClusterError", "choose_provider", "make_cluster"]


def choose_provider(requested: str | None = None) -> str:
    """The provider asked for (argument, then environment), or the automatic choice."""
    name = (requested or os.environ.get(ENV_PROVIDER) or "auto").strip().lower()
    if name == "auto":
        return "kind" if shutil.which("kind") and docker_engine_answers() else "local"
    if name not in PROVIDERS:
        source = "the provider argument" if requested else ENV_PROVIDER
        raise ClusterError(
            f"unknown cluster provider {name!r} (from {source}): "
            f"choose one of auto, {', '.join(PROVIDERS)}"
        )
    return name


def make_cluster(provider: str | None = None, name: str = DEFAULT_NAME) -> Cluster:
    return PROVIDERS[choose_provider(provider)](name)
