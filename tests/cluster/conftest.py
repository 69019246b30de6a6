"""Cluster tier: one cluster for the session, from the chosen provider
(devstack/cluster/; --cluster-provider or $MLOPS_CLUSTER_PROVIDER).

The session cluster starts bare. Tests that need it bare (the `bare_cluster` fixture:
no cert-manager CRDs) are moved to the front of the tier; the `crds` fixture then
applies cert-manager's and prometheus-operator's CRDs once, for every later test.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest

from devstack.cluster import PROVIDERS, Cluster, ClusterError, choose_provider
from devstack.crds import crd_documents
from tests.harness import kube_objects

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
    name = kube_objects.create_namespace(kube, "test-")
    yield name
    kube_objects.delete_namespace(kube, name)


@pytest.fixture(scope="session")
def bare_cluster(cluster: Cluster, kube: kubernetes.client.ApiClient) -> Cluster:
    """The session cluster while it has no cert-manager CRDs (such tests run first)."""
    ext = kubernetes.client.ApiextensionsV1Api(kube)
    found = [
        c.metadata.name
        for c in ext.list_custom_resource_definition().items
        if c.spec.group.endswith("cert-manager.io")
    ]
    if found and cluster.provider == "local":
        pytest.fail(f"the fresh local cluster already has cert-manager CRDs: {found}")
    if found:
        pytest.skip(f"{cluster.provider} cluster has cert-manager's CRDs, so it is not bare")
    return cluster


@pytest.fixture(scope="session")
def crds(cluster: Cluster, kube: kubernetes.client.ApiClient) -> list[str]:
    """cert-manager's and prometheus-operator's CRDs (pinned, from .tools/crds/),
    server-side applied and Established; left in place for the rest of the session."""
    start = time.monotonic()
    names = kube_objects.apply_crds(kube, crd_documents())
    _started.append(f"{len(names)} CRDs applied and Established in {time.monotonic() - start:.1f}s")
    return names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the bare cluster go first in the cluster tier, before `crds` runs."""
    bare = [i for i in items if "bare_cluster" in getattr(i, "fixturenames", ())]
    if not bare:
        return
    rest = [i for i in items if i not in bare]
    here = Path(__file__).parent
    first = next((n for n, i in enumerate(rest) if here in Path(i.fspath).parents), len(rest))
    items[:] = rest[:first] + bare + rest[first:]


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _started:
        terminalreporter.write_line(line)
