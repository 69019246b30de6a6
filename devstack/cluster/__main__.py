"""python -m devstack.cluster {up|down|status} [--provider P] [--name N]"""

import argparse
import json
import sys

import devstack.cluster
from devstack.cluster import DEFAULT_NAME, PROVIDERS, ClusterError, make_cluster
from devstack.console import say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.cluster",
        description=devstack.cluster.__doc__,
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
