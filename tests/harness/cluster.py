"""Kubernetes clusters for the cluster tier and `make up`, behind one interface.

Providers (tests/harness/cluster_local.py, cluster_others.py):
  local     etcd + kube-apiserver + kube-controller-manager + kube-scheduler built from
            source by toolchain/setup.sh, started as plain processes by kwokctl, with kwok
            faking the nodes and the pods' lifecycle (no container runs);
  kind      a kind cluster through pytest-kind (needs a Docker engine and `kind`);
  existing  the cluster of $KUBECONFIG ($MLOPS_KUBE_CONTEXT picks a context).

Chosen by pytest's --cluster-provider, else $MLOPS_CLUSTER_PROVIDER, else automatically:
kind when a Docker engine answers and kind is installed, local otherwise.

    python -m tests.harness.cluster {up|down|status} [--provider P] [--name N]
"""

import argparse
import json
import os
import shutil
import sys

from tests.harness.cluster_base import Cluster, ClusterError, say
from tests.harness.cluster_local import LocalCluster
from tests.harness.cluster_others import ExistingCluster, KindProvider, docker_engine_answers

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
        source = "--cluster-provider" if requested else ENV_PROVIDER
        raise ClusterError(
            f"unknown cluster provider {name!r} (from {source}): "
            f"choose one of auto, {', '.join(PROVIDERS)}"
        )
    return name


def make_cluster(provider: str | None = None, name: str = DEFAULT_NAME) -> Cluster:
    return PROVIDERS[choose_provider(provider)](name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("verb", choices=("up", "down", "status"))
    parser.add_argument("--provider", help=f"auto (default), {', '.join(PROVIDERS)}")
    parser.add_argument("--name", default=DEFAULT_NAME, help="cluster name (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        cluster = make_cluster(args.provider, args.name)
        if args.verb == "up":
            cluster.create(reuse=True)
            say(f"{cluster.provider} cluster {cluster.name}: Kubernetes {cluster.kube_version()}")
            print(f"export KUBECONFIG={cluster.kubeconfig}")
        elif args.verb == "down":
            cluster.delete()
            say(f"{cluster.provider} cluster {cluster.name}: nothing left running")
        else:
            print(json.dumps(cluster.status(), indent=2))
    except ClusterError as err:
        print(f"cluster: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
