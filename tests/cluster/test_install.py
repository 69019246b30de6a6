"""Install a profile with `--wait`, then check explicitly what `--wait` claims: the
release is deployed, every object of its manifest exists, every Deployment and
StatefulSet is available, every Service with a selector has a ready endpoint on each
port, every PVC is bound, Ingresses and HTTPRoutes point at existing Services,
Gateways and issuers, and `helm test` runs every test hook to completion.

Under the `local` provider no container runs: kwok marks pods Running and Ready, and
test pods Succeeded. What passes proves that the real API server accepted every
object, the scheduler placed the pods, the controllers created ReplicaSets, pods,
claims and endpoints from them, and that selectors, named ports, claims and test hooks
are wired up. It does not prove that any container starts or any check inside a test
pod would pass; the kind provider (users' CI, ci/) runs the same tests with real pods.

raspberry-pi is not installed here: MLflow's artifact volume uses the `nfs` class of
the NFS provisioner the chart deploys, which cannot provision without running
containers, and the others k3s' `local-path`. It is covered by the server-side dry run
(test_dry_run.py).
"""

from dataclasses import dataclass

import kubernetes
import pytest

from tests.harness import kube_objects, readiness
from tests.harness.helm_release import HelmRelease, profile_values
from tests.harness.readiness import settle

INSTALLED = ["local", "prod"]
# What each profile must expose: Ingress and ClusterIssuer counts (values/*.yaml).
EDGES = {
    "local": {"Ingress": 0, "Gateway": 0, "HTTPRoute": 0, "ClusterIssuer": 0},
    # Five components' routes and the HTTP-to-HTTPS redirect.
    "prod": {"Ingress": 0, "Gateway": 1, "HTTPRoute": 6, "ClusterIssuer": 1},
}
SETTLE = 60  # seconds for state to catch up after `helm --wait` returned


@dataclass
class Installed:
    profile: str
    release: HelmRelease
    objects: list[dict]  # the release's manifest, hooks excluded

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]


@pytest.fixture(scope="module", params=INSTALLED)
def installed(request, cluster, kube, crds):
    profile = request.param
    namespace = kube_objects.create_namespace(kube, f"{profile}-")
    release = HelmRelease(cluster.kubeconfig, "mlops", namespace, cluster.context)
    try:
        release.install(profile_values(profile))
        yield Installed(profile, release, release.objects())
    finally:  # also after a failed install: prod's ClusterIssuer is cluster-wide
        release.uninstall()
        kube_objects.delete_namespace(kube, namespace)


def test_release_is_deployed(installed: Installed) -> None:
    revision = installed.release.current()
    assert revision is not None, f"{installed.release} is missing"
    assert (revision.revision, revision.status.value) == (1, "deployed"), revision
    assert revision.description == "Install complete", revision.description


def test_every_object_of_the_manifest_exists(installed: Installed, kube) -> None:
    client = kube_objects.dynamic(kube)
    absent = kube_objects.missing(client, installed.objects, installed.release.namespace)
    assert not absent, f"in the manifest but not in the cluster: {absent}"


def test_workloads_are_available(installed: Installed, kube) -> None:
    namespace = installed.release.namespace
    problems = settle(lambda: readiness.unavailable_workloads(kube, namespace), SETTLE)
    assert not problems, "\n".join(problems)
    assert installed.of_kind("Deployment") and installed.of_kind("StatefulSet")


def test_services_have_ready_endpoints(installed: Installed, kube) -> None:
    namespace = installed.release.namespace
    problems = settle(lambda: readiness.services_without_endpoints(kube, namespace), SETTLE)
    assert not problems, "\n".join(problems)
    assert any(s["spec"].get("selector") for s in installed.of_kind("Service"))


def test_claims_are_bound(installed: Installed, kube) -> None:
    namespace = installed.release.namespace
    problems = settle(lambda: readiness.unbound_claims(kube, namespace), SETTLE)
    assert not problems, "\n".join(problems)
    pvcs = kubernetes.client.CoreV1Api(kube).list_namespaced_persistent_volume_claim(namespace)
    claims = {c.metadata.name for c in pvcs.items}
    assert f"data-{installed.release.name}-postgresql-0" in claims, claims


def test_entry_points_and_issuers_are_accepted(installed: Installed, kube) -> None:
    """Ingresses, Gateways and HTTPRoutes created by the API server and wired to what
    exists. No ingress or Gateway controller and no cert-manager controller run here: no
    address, no certificate, no Accepted or Ready condition."""
    client = kube_objects.dynamic(kube)
    namespace = installed.release.namespace
    counts = {kind: len(installed.of_kind(kind)) for kind in EDGES[installed.profile]}
    assert counts == EDGES[installed.profile], f"{installed.profile} renders {counts}"
    issuers = set()
    for issuer in installed.of_kind("ClusterIssuer"):
        stored = kube_objects.fetch(client, issuer)
        assert stored, f"ClusterIssuer {issuer['metadata']['name']} was not created"
        assert stored["spec"] == issuer["spec"], (
            f"ClusterIssuer {issuer['metadata']['name']}: the API server pruned or changed "
            f"its spec:\nsent   {issuer['spec']}\nstored {stored['spec']}"
        )
        issuers.add(issuer["metadata"]["name"])
    problems = readiness.unwired_ingresses(kube, namespace, issuers)
    problems += readiness.unwired_routes(client, namespace, issuers)
    assert not problems, "\n".join(problems)


def test_helm_test_runs_every_test_hook_to_success(installed: Installed) -> None:
    """Under `local` the test pods' Succeeded phase is kwok's (nothing runs): this
    proves the hooks are valid pods that schedule, not that the checks inside pass."""
    hooks = installed.release.test_hooks()
    assert len(hooks) >= 5, f"expected a test per component, got {hooks}"
    run = installed.release.run_tests()
    assert run.returncode == 0, f"helm test failed:\n{run.output}"
    assert run.phases == dict.fromkeys(hooks, "Succeeded"), run.output
