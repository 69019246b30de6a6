"""A release's life: install, upgrade with changed values, rollback, uninstall, of
values/local.yaml with MLflow's auth on (so every generated Secret exists).

The stages are module fixtures, each built on the one before (installed -> upgraded
-> rolled_back -> uninstalled), so any test can run alone. Under the `local` provider
no container runs (pods turn Ready through kwok): what is proved is what the API server
and the controllers hold, i.e. Secret data, pod templates, ReplicaSets and rollout
revisions, and what is left after an uninstall. That no pod restarts with a new
password is what keeps Harbor, PostgreSQL, Grafana and MLflow working on a real cluster.
"""

from dataclasses import dataclass

import kubernetes
import pytest
from pyhelm3.models import ReleaseRevision

from tests.harness import kube_objects, readiness, release_state
from tests.harness.helm_release import HelmRelease, deep_merge, profile_values
from tests.harness.readiness import settle

RELEASE = "mlops"
INSTALL = profile_values("local", {"mlflow": {"auth": {"enabled": True}}})
# A ConfigMap-backed setting of the model service only.
UPGRADE = deep_merge(INSTALL, {"troll-classifier": {"server": {"maxBatchSize": 64}}})
CHANGED_CONFIG = ("mlops-troll-classifier", "TROLL_MAX_BATCH_SIZE", "16", "64")
ROLLS = {"Deployment/mlops-troll-classifier"}
# Every generated Secret and its keys (random or derived once, then kept by lookup).
GENERATED = {
    "mlops-postgresql": [
        "postgres-password",
        "mlflow-password",
        "harbor-password",
        "grafana-password",
        "training-password",
    ],
    "mlops-harbor": [
        "secretKey",
        "CORE_SECRET",
        "CSRF_KEY",
        "JOBSERVICE_SECRET",
        "REGISTRY_HTTP_SECRET",
        "HARBOR_ADMIN_PASSWORD",
        "REGISTRY_CREDENTIAL_PASSWORD",
        "REGISTRY_HTPASSWD",
        "tls.key",  # the token service's signing key pair
        "tls.crt",
    ],
    "mlops-monitoring-grafana": ["admin-user", "admin-password", "secret-key"],
    "mlops-mlflow-auth": ["admin-password", "flask-secret-key"],
    "mlops-webapp": ["admin-password", "secret-key"],
}
# What an uninstall leaves: objects annotated helm.sh/resource-policy: keep, and the
# claim of PostgreSQL's StatefulSet, which the StatefulSet created and Helm never owned.
KEPT = {
    *(("Secret", name) for name in GENERATED),
    ("PersistentVolumeClaim", "mlops-harbor-registry"),
    ("PersistentVolumeClaim", "mlops-mlflow-artifacts"),
    ("PersistentVolumeClaim", "mlops-monitoring-grafana"),
    ("PersistentVolumeClaim", "data-mlops-postgresql-0"),
}
SETTLE = 60


@dataclass
class Stage:
    revision: ReleaseRevision
    secrets: dict[str, dict[str, str]]
    workloads: dict[str, release_state.Workload]
    config: dict[str, str]  # data of the ConfigMap the upgrade changes


@dataclass
class Lifecycle:
    release: HelmRelease
    api: kubernetes.client.ApiClient
    before: set  # the namespace's objects before the install

    def settled(self, what: str) -> Stage:
        """Once every workload, endpoint and claim is ready again: the stage's state."""
        ns = self.release.namespace
        problems = settle(lambda: readiness.not_ready(self.api, ns), SETTLE)
        assert not problems, f"after {what}:\n" + "\n".join(problems)
        revision = self.release.current()
        assert revision is not None, f"{self.release} is gone after {what}"
        config = kubernetes.client.CoreV1Api(self.api).read_namespaced_config_map(
            CHANGED_CONFIG[0], ns
        )
        return Stage(
            revision,
            release_state.secret_data(self.api, ns, list(GENERATED)),
            release_state.workloads(self.api, ns),
            config.data,
        )


@pytest.fixture(scope="module")
def lifecycle(cluster, kube, crds):
    namespace = kube_objects.create_namespace(kube, "lifecycle-")
    release = HelmRelease(cluster.kubeconfig, RELEASE, namespace, cluster.context)
    yield Lifecycle(release, kube, kube_objects.inventory(kube_objects.dynamic(kube), namespace))
    release.uninstall()
    kube_objects.delete_namespace(kube, namespace)


@pytest.fixture(scope="module")
def installed(lifecycle: Lifecycle) -> Stage:
    lifecycle.release.install(INSTALL)
    return lifecycle.settled("install")


@pytest.fixture(scope="module")
def upgraded(lifecycle: Lifecycle, installed: Stage) -> Stage:
    lifecycle.release.upgrade(UPGRADE)
    return lifecycle.settled("upgrade")


@pytest.fixture(scope="module")
def rolled_back(lifecycle: Lifecycle, upgraded: Stage) -> Stage:
    lifecycle.release.rollback(1)
    return lifecycle.settled("rollback to revision 1")


@pytest.fixture(scope="module")
def uninstalled(lifecycle: Lifecycle, rolled_back: Stage) -> set:
    lifecycle.release.uninstall()
    client = kube_objects.dynamic(lifecycle.api)
    ns = lifecycle.release.namespace

    def left() -> set:
        return kube_objects.inventory(client, ns) - lifecycle.before

    settle(lambda: sorted(left() ^ KEPT), SETTLE)  # garbage collection takes a moment
    return left()


def test_install_generates_every_secret(installed: Stage) -> None:
    for name, keys in GENERATED.items():
        data = installed.secrets[name]
        assert sorted(data) == sorted(keys), f"Secret {name} holds {sorted(data)}"
        empty = [k for k, v in data.items() if not v]
        assert not empty, f"Secret {name}: empty {empty}"


def test_upgrade_keeps_every_generated_secret_byte_identical(
    installed: Stage, upgraded: Stage
) -> None:
    changed = [
        f"Secret {name} key {key}"
        for name, keys in GENERATED.items()
        for key in keys
        if installed.secrets[name].get(key) != upgraded.secrets[name].get(key)
    ]
    assert not changed, f"regenerated by the upgrade: {changed}"


def test_upgrade_rolls_only_the_workload_whose_config_changed(
    lifecycle: Lifecycle, installed: Stage, upgraded: Stage
) -> None:
    assert (upgraded.revision.revision, upgraded.revision.status.value) == (2, "deployed")
    name, key, old, new = CHANGED_CONFIG
    assert (installed.config[key], upgraded.config[key]) == (old, new), f"ConfigMap {name}"

    rolled = release_state.rolled(installed.workloads, upgraded.workloads)
    assert rolled == ROLLS, f"rolled {sorted(rolled)}, expected only {sorted(ROLLS)}"
    [key_] = ROLLS
    before, after = installed.workloads[key_], upgraded.workloads[key_]
    ns = lifecycle.release.namespace
    checksum = "checksum/config"
    assert before.annotations[checksum] != after.annotations[checksum], f"{key_}: {checksum}"
    assert (before.revision, after.revision) == ("1", "2"), f"{key_}: rollout revisions"
    replica_sets = release_state.replica_sets(lifecycle.api, ns, after.name)
    assert replica_sets == {"1": (0, 0), "2": (1, 1)}, (
        f"{key_}: ReplicaSets by revision (wanted, ready): {replica_sets}"
    )


def test_upgrade_records_the_new_values(lifecycle: Lifecycle, upgraded: Stage) -> None:
    assert lifecycle.release.user_values(upgraded.revision) == UPGRADE


def test_resizing_the_database_volume_fails_early_naming_the_key(
    lifecycle: Lifecycle, upgraded: Stage
) -> None:
    """StatefulSet volume claims are immutable: the chart says so, instead of the API
    server's bare refusal, and no revision is recorded."""
    resized = deep_merge(UPGRADE, {"postgresql": {"persistence": {"size": "3Gi"}}})
    with pytest.raises(Exception, match=r"postgresql\.persistence\.size cannot change"):
        lifecycle.release.upgrade(resized)
    assert lifecycle.release.current().revision == upgraded.revision.revision


def test_rollback_restores_the_first_revision(
    lifecycle: Lifecycle, installed: Stage, rolled_back: Stage
) -> None:
    release = lifecycle.release
    assert (rolled_back.revision.revision, rolled_back.revision.status.value) == (3, "deployed")
    assert rolled_back.revision.description == "Rollback to 1"
    history = [(r.revision, r.status.value) for r in release.history()]
    assert history == [(1, "superseded"), (2, "superseded"), (3, "deployed")], history
    assert release.user_values(rolled_back.revision) == INSTALL
    assert rolled_back.config == installed.config
    differ = {
        key
        for key, workload in installed.workloads.items()
        if rolled_back.workloads[key].template != workload.template
    }
    assert not differ, f"pod templates not restored: {sorted(differ)}"
    assert rolled_back.secrets == installed.secrets, "the rollback changed generated Secrets"


def test_uninstall_leaves_exactly_what_is_kept(lifecycle: Lifecycle, uninstalled: set) -> None:
    assert lifecycle.release.current() is None, "the release is still recorded"
    assert uninstalled == KEPT, (
        f"left but not expected: {sorted(uninstalled - KEPT)}; "
        f"expected but gone: {sorted(KEPT - uninstalled)}"
    )
