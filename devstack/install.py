"""The platform release in a cluster: the default provider's cluster (reused when
healthy), or the one given, then `helm upgrade --install` of charts/platform with the
local profile (plus any overlay)."""

from pathlib import Path

from devstack.charts import NAMESPACE, RELEASE, run_helm
from devstack.cluster import Cluster, make_cluster
from devstack.console import say
from devstack.paths import LOCAL_PROFILE, PLATFORM_CHART


def install_platform(
    cluster: Cluster | None = None, overlays: tuple[Path, ...] = (), timeout: str = "5m"
) -> str:
    """Install or upgrade release `mlops`; returns the cluster's kubeconfig path."""
    if cluster is None:
        cluster = make_cluster()
        say(f"starting the {cluster.provider} cluster {cluster.name!r}")
        cluster.create(reuse=True)
    say(f"Kubernetes {cluster.kube_version()} is up; installing release {RELEASE} (helm --wait)")
    values = [arg for path in (LOCAL_PROFILE, *overlays) for arg in ("--values", str(path))]
    result = run_helm(
        "upgrade",
        "--install",
        RELEASE,
        PLATFORM_CHART,
        "--namespace",
        NAMESPACE,
        "--create-namespace",
        *values,
        "--kubeconfig",
        cluster.kubeconfig,
        "--wait",
        "--timeout",
        timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"helm install failed:\n{result.stderr}")
    pods = cluster.kubectl(
        "get",
        "pods",
        "-n",
        NAMESPACE,
        "--no-headers",
        "-o",
        "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
    )
    say(f"release {RELEASE} deployed: {len(pods.splitlines())} pods")
    if cluster.provider == "local" and not getattr(cluster, "real_nodes", 0):
        say("the local provider simulates pods (kwok): objects are real, containers do not run")
    return str(cluster.kubeconfig)
