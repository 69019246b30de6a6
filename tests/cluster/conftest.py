"""Cluster tier: one cluster for the session, from the chosen provider
(tests/harness/cluster.py; --cluster-provider or $MLOPS_CLUSTER_PROVIDER)."""

import time
import uuid
from collections.abc import Iterator

import kubernetes
import pytest

from tests.harness.cluster import PROVIDERS, Cluster, ClusterError, choose_provider
from tests.harness.processes import wait_until

SESSION_CLUSTER = "mlops-test"  # not `make up`'s cluster, which a test run must not touch
_started: list[str] = []


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    try:
        provider = choose_provider(request.config.getoption("cluster_provider"))
    except ClusterError as err:
        pytest.fail(str(err), pytrace=False)
    reason = PROVIDERS[provider].unavailable_reason()
    if reason and provider == "kind":
        pytest.skip(f"kind provider: {reason}")
    if reason:
        pytest.fail(f"{provider} cluster provider: {reason}", pytrace=False)
    cluster = PROVIDERS[provider](SESSION_CLUSTER)
    start = time.monotonic()
    cluster.create()
    _started.append(
        f"{provider} cluster {cluster.name} (Kubernetes {cluster.kube_version()}) "
        f"ready in {time.monotonic() - start:.0f}s"
    )
    yield cluster
    # pytest-kind's --keep-cluster, honoured for every provider.
    if not request.config.getoption("keep_cluster", default=False):
        cluster.delete()


@pytest.fixture(scope="session")
def kube(cluster: Cluster) -> Iterator[kubernetes.client.ApiClient]:
    with cluster.api_client() as api:
        yield api


@pytest.fixture
def namespace(kube: kubernetes.client.ApiClient) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    core = kubernetes.client.CoreV1Api(kube)
    name = f"test-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    # Pods are admitted once the controller manager has made the namespace's account.
    wait_until(
        lambda: any(
            sa.metadata.name == "default" for sa in core.list_namespaced_service_account(name).items
        ),
        timeout=30,
        what=f"the default ServiceAccount of namespace {name}",
    )
    yield name
    core.delete_namespace(name)


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _started:
        terminalreporter.write_line(line)
