"""Snapshots of what a release runs, taken before and after an upgrade or rollback:
the pod template and rollout revision of every workload, and Secret data."""

from dataclasses import dataclass

import kubernetes

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    template: dict  # the pod template as stored (what a change of rolls the pods)
    revision: str  # Deployment: rollout revision number; StatefulSet: updateRevision
    generation: int

    @property
    def annotations(self) -> dict:
        return self.template.get("metadata", {}).get("annotations") or {}


def workloads(api: kubernetes.client.ApiClient, namespace: str) -> dict[str, Workload]:
    """Every Deployment and StatefulSet of the namespace, keyed `Kind/name`."""
    apps = kubernetes.client.AppsV1Api(api)
    found = {}
    for deploy in apps.list_namespaced_deployment(namespace).items:
        annotations = deploy.metadata.annotations or {}
        found[f"Deployment/{deploy.metadata.name}"] = Workload(
            "Deployment",
            deploy.metadata.name,
            api.sanitize_for_serialization(deploy.spec.template),
            annotations.get(REVISION_ANNOTATION, ""),
            deploy.metadata.generation,
        )
    for sts in apps.list_namespaced_stateful_set(namespace).items:
        found[f"StatefulSet/{sts.metadata.name}"] = Workload(
            "StatefulSet",
            sts.metadata.name,
            api.sanitize_for_serialization(sts.spec.template),
            sts.status.update_revision or "",
            sts.metadata.generation,
        )
    return found


def rolled(before: dict[str, Workload], after: dict[str, Workload]) -> set[str]:
    """Workloads whose pod template or rollout revision changed between two snapshots."""
    return {
        key
        for key in before.keys() & after.keys()
        if before[key].template != after[key].template
        or before[key].revision != after[key].revision
    }


def replica_sets(
    api: kubernetes.client.ApiClient, namespace: str, deployment: str
) -> dict[str, tuple[int, int]]:
    """{rollout revision: (replicas wanted, ready)} of the ReplicaSets a Deployment owns."""
    apps = kubernetes.client.AppsV1Api(api)
    found = {}
    for rs in apps.list_namespaced_replica_set(namespace).items:
        owners = rs.metadata.owner_references or []
        if any(o.kind == "Deployment" and o.name == deployment for o in owners):
            revision = (rs.metadata.annotations or {}).get(REVISION_ANNOTATION, "?")
            found[revision] = (rs.spec.replicas or 0, rs.status.ready_replicas or 0)
    return found


def secret_data(
    api: kubernetes.client.ApiClient, namespace: str, names: list[str]
) -> dict[str, dict[str, str]]:
    """{Secret name: data (base64 values, as stored)}; a missing Secret maps to {}."""
    core = kubernetes.client.CoreV1Api(api)
    found = {}
    for name in names:
        try:
            found[name] = core.read_namespaced_secret(name, namespace).data or {}
        except kubernetes.client.ApiException as err:
            if err.status != 404:
                raise
            found[name] = {}
    return found
