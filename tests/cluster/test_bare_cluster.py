"""On a cluster without cert-manager (its CRDs absent): issuers fail up front with the
chart's own message, while the `local` profile needs no CRD at all.

These run first in the tier (tests/cluster/conftest.py orders them) on the session
cluster, before the `crds` fixture applies cert-manager's CRDs to it.
"""

import pytest

from tests.harness import kube_objects
from tests.harness.helm_release import HelmRelease, errors, profile_values

ISSUERS = {"cert-issuers": {"enabled": True, "selfSignedCA": {"enabled": True}}}
CHART_MESSAGE = "cert-manager is not installed: its CRDs (cert-manager.io/v1) are missing"


def test_issuers_without_cert_manager_fail_with_the_charts_message(
    bare_cluster, kube, namespace
) -> None:
    release = HelmRelease(bare_cluster.kubeconfig, "mlops", namespace, bare_cluster.context)
    client = kube_objects.dynamic(kube)
    before = kube_objects.inventory(client, namespace)

    with pytest.raises(errors.Error) as failure:
        release.install(profile_values("local", ISSUERS))

    message = str(failure.value)
    assert CHART_MESSAGE in message, f"not the chart's message:\n{message}"
    assert "cert-issuers/templates/" in message, f"the failing template is not named:\n{message}"
    assert "Install cert-manager first" in message, f"no remedy given:\n{message}"
    assert isinstance(failure.value, errors.FailedToRenderChartError), type(failure.value)
    assert release.current() is None, "a release was recorded although nothing could render"
    left = kube_objects.inventory(client, namespace) - before
    assert not left, f"objects created by the failed install: {sorted(left)}"


def test_local_profile_needs_no_crds(bare_cluster, kube, namespace) -> None:
    """values/local.yaml is what users' CI installs on a plain kind cluster: no
    cert-manager, no prometheus-operator. Server-side dry run, every object included."""
    release = HelmRelease(bare_cluster.kubeconfig, "mlops", namespace, bare_cluster.context)
    objects = release.dry_run_objects(profile_values("local"))
    kinds = {o["apiVersion"].split("/")[0] for o in objects}
    assert not {k for k in kinds if k.endswith(("cert-manager.io", "monitoring.coreos.com"))}
    problems = kube_objects.apply(kube_objects.dynamic(kube), objects, namespace, dry_run=True)
    assert not problems, "the API server rejects:\n" + "\n".join(problems)
