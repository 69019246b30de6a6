"""The kind provider, for users' CI (ci/ creates kind clusters there). Here it is
skipped with its one-line reason: no Docker engine runs on these machines."""

import pytest

from devstack.cluster.kind import KindProvider


def test_kind_cluster_starts_and_reports_its_version() -> None:
    reason = KindProvider.unavailable_reason()
    if reason:
        pytest.skip(f"kind provider: {reason}")
    cluster = KindProvider("mlops-kind-check")
    try:
        cluster.create()
        assert cluster.kube_version().startswith("v1."), cluster.kube_version()
        assert cluster.kubectl("get", "nodes", "--no-headers").strip(), "kind cluster has no nodes"
    finally:
        cluster.delete()
