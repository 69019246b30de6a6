"""Every profile in values/ against the real API server, with the CRDs the charts
target present, without installing anything.

Two steps per profile: `helm install --dry-run=server` renders against the live
cluster (its real version and API list, so capability-gated objects and `lookup`s
behave as on install) and checks for clashes with existing objects; Helm does not
send the objects to the API server then. So each rendered object, hooks included, is
then server-side applied as a dry run with strict field validation: the API server
runs its validation, defaulting and admission on it and stores nothing.
"""

from pathlib import Path

import kubernetes
import pytest

from devstack.charts import run_helm
from devstack.paths import PROFILES_DIR
from tests.harness import fresh_clone, kube_objects
from tests.harness.helm_release import HelmRelease, profile_values

PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
ISSUERS = {"cert-issuers": {"enabled": True, "selfSignedCA": {"enabled": True}}}


@pytest.mark.usefixtures("crds")
@pytest.mark.parametrize("profile", PROFILES)
def test_profile_passes_server_side_dry_run(profile, cluster, kube, namespace) -> None:
    release = HelmRelease(cluster.kubeconfig, "mlops", namespace, cluster.context)
    client = kube_objects.dynamic(kube)
    before = kube_objects.inventory(client, namespace)

    objects = release.dry_run_objects(profile_values(profile))

    assert len(objects) > 10, f"{profile} renders only {len(objects)} objects"
    problems = kube_objects.apply(client, objects, namespace, dry_run=True)
    assert not problems, f"the API server rejects {profile}:\n" + "\n".join(problems)
    assert release.current() is None, "a dry run recorded a release"
    assert kube_objects.inventory(client, namespace) == before, "a dry run left objects"


@pytest.mark.usefixtures("crds")
def test_issuers_pass_server_side_dry_run_once_cert_manager_is_there(
    cluster, kube, namespace
) -> None:
    """The values that fail on the bare cluster (test_bare_cluster.py) are accepted once
    cert-manager's CRDs exist: the failure there is the CRD check, nothing else."""
    release = HelmRelease(cluster.kubeconfig, "mlops", namespace, cluster.context)
    client = kube_objects.dynamic(kube)
    objects = release.dry_run_objects(profile_values("local", ISSUERS))
    kinds = sorted(o["kind"] for o in objects if o["apiVersion"] == "cert-manager.io/v1")
    assert kinds == ["Certificate", "ClusterIssuer", "ClusterIssuer"], kinds

    # The CA Certificate lives in cert-manager's namespace, which its install creates.
    [ca] = [o for o in objects if o["kind"] == "Certificate"]
    cert_ns = ca["metadata"]["namespace"]
    core = kubernetes.client.CoreV1Api(kube)
    created = cert_ns not in {n.metadata.name for n in core.list_namespace().items}
    if created:
        core.create_namespace({"metadata": {"name": cert_ns}})
    try:
        problems = kube_objects.apply(client, objects, namespace, dry_run=True)
    finally:
        if created:
            kube_objects.delete_namespace(kube, cert_ns)
    assert not problems, "the API server rejects:\n" + "\n".join(problems)


@pytest.mark.usefixtures("crds")
def test_the_readmes_install_command_works_as_written_on_a_fresh_clone(
    cluster, namespace, tmp_path: Path
) -> None:
    """`helm install mlops ./charts/platform -f values/prod.yaml`, word for word from the
    README, with no build step, on the files a clone has, against the live API server;
    only the dry run and where it goes are added."""
    command = fresh_clone.readme_command("install")
    assert command[:2] == ["helm", "install"], command
    clone = fresh_clone.tracked_copy(tmp_path, *fresh_clone.CHART_FILES)
    target = ["--namespace", namespace, "--kubeconfig", cluster.kubeconfig]
    if cluster.context:
        target += ["--kube-context", cluster.context]
    result = run_helm(*command[1:], "--dry-run=server", *target, check=False, cwd=clone)
    assert result.returncode == 0, result.stderr
    assert "STATUS: pending-install" in result.stdout, result.stdout[:2000]
