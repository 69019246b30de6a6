"""Objects on a live cluster through the kubernetes Python client's dynamic client:
server-side apply (for real, or as a server-side dry run), existence checks and the
inventory of a namespace. Every problem is reported as text naming the object."""

import atexit
import contextlib
import itertools
import json
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

import kubernetes
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError

from devstack.processes import wait_until
from tests.harness.readiness import settle

FIELD_MANAGER = "mlops-cluster-tests"
# Kinds that record what happened rather than what is there.
NOT_INVENTORIED = {"Event"}

_discovery_dir = tempfile.TemporaryDirectory(prefix="mlops-discovery-")
atexit.register(_discovery_dir.cleanup)
_discovery_ids = itertools.count()


def dynamic(api: kubernetes.client.ApiClient) -> DynamicClient:
    """A dynamic client with its own, fresh discovery cache: kinds added by CRDs a
    moment ago are found, and no cache file is shared with other clusters or runs."""
    cache = Path(_discovery_dir.name) / f"discovery-{next(_discovery_ids)}.json"
    return DynamicClient(api, cache_file=str(cache))


def describe(obj: dict) -> str:
    """`Kind namespace/name` (or `Kind name` when cluster-scoped) for messages."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def _resource(client: DynamicClient, obj: dict):
    return client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])


def _reason(err: DynamicApiError) -> str:
    try:
        return json.loads(err.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(err.summary() if hasattr(err, "summary") else err)


def apply(
    client: DynamicClient,
    objects: Iterable[dict],
    namespace: str | None = None,
    dry_run: bool = False,
    force: bool = True,
) -> list[str]:
    """Server-side apply each object (into `namespace` when namespaced and it names
    none), with strict field validation: unknown or duplicate fields are errors, not
    warnings. With dry_run the API server runs every check, defaulting and admission,
    then stores nothing. Returns one line per rejected object."""
    problems = []
    for obj in objects:
        try:
            resource = _resource(client, obj)
        except ResourceNotFoundError:
            problems.append(
                f"{describe(obj)}: the server has no kind {obj['apiVersion']}/"
                f"{obj['kind']} (a CRD missing?)"
            )
            continue
        ns = None
        if resource.namespaced:
            ns = (obj.get("metadata") or {}).get("namespace") or namespace
        try:
            resource.server_side_apply(
                body=obj,
                namespace=ns,
                field_manager=FIELD_MANAGER,
                force_conflicts=force,
                dry_run="All" if dry_run else None,
                query_params=[("fieldValidation", "Strict")],
            )
        except DynamicApiError as err:
            problems.append(f"{describe(obj)}: {_reason(err)}")
    return problems


def fetch(client: DynamicClient, obj: dict, namespace: str | None = None) -> dict | None:
    """The live object the manifest `obj` describes, or None when it does not exist."""
    resource = _resource(client, obj)
    meta = obj.get("metadata") or {}
    ns = (meta.get("namespace") or namespace) if resource.namespaced else None
    try:
        return resource.get(name=meta["name"], namespace=ns).to_dict()
    except NotFoundError:
        return None


def missing(client: DynamicClient, objects: Iterable[dict], namespace: str) -> list[str]:
    """Objects of a manifest that the cluster does not hold."""
    return [describe(o) for o in objects if fetch(client, o, namespace) is None]


def inventory(client: DynamicClient, namespace: str) -> set[tuple[str, str]]:
    """(kind, name) of every object in the namespace, of every listable kind."""
    found = set()
    for resource in client.resources.search(namespaced=True):
        if "list" not in (resource.verbs or []) or "/" in resource.name:
            continue
        if resource.kind in NOT_INVENTORIED or resource.kind.endswith("List"):
            continue
        try:
            items = resource.get(namespace=namespace).items
        except (NotFoundError, DynamicApiError):
            continue
        found.update((resource.kind, item.metadata.name) for item in items)
    return found


def create_namespace(api: kubernetes.client.ApiClient, prefix: str) -> str:
    """A new namespace `<prefix><random>`, returned once it admits pods (the controller
    manager has made its default ServiceAccount)."""
    core = kubernetes.client.CoreV1Api(api)
    name = f"{prefix}{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    wait_until(
        lambda: any(
            sa.metadata.name == "default" for sa in core.list_namespaced_service_account(name).items
        ),
        timeout=30,
        what=f"the default ServiceAccount of namespace {name}",
    )
    return name


def delete_namespace(api: kubernetes.client.ApiClient, name: str) -> None:
    with contextlib.suppress(kubernetes.client.ApiException):
        kubernetes.client.CoreV1Api(api).delete_namespace(name)


def apply_crds(
    api: kubernetes.client.ApiClient, crds: Iterable[dict], timeout: float = 60
) -> list[str]:
    """Server-side apply CRDs (the large ones exceed client-side apply's annotation
    limit) that the cluster lacks, and wait until every one is Established. A CRD
    already present is left untouched: on an `existing` cluster it may belong to a
    real cert-manager or prometheus-operator. Returns the names of the CRDs."""
    ext = kubernetes.client.ApiextensionsV1Api(api)
    present = {crd.metadata.name for crd in ext.list_custom_resource_definition().items}
    wanted = list(crds)
    problems = apply(dynamic(api), [c for c in wanted if c["metadata"]["name"] not in present])
    if problems:
        raise RuntimeError("CRDs rejected by the API server:\n" + "\n".join(problems))
    names = [c["metadata"]["name"] for c in wanted]

    def not_established() -> list[str]:
        status = {
            crd.metadata.name: {c.type: c.status for c in (crd.status.conditions or [])}
            for crd in ext.list_custom_resource_definition().items
        }
        return [
            n
            for n in names
            if status.get(n, {}).get("Established") != "True"
            or status.get(n, {}).get("NamesAccepted") != "True"
        ]

    waiting = settle(not_established, timeout)
    if waiting:
        raise TimeoutError(f"CRDs not Established after {timeout:.0f}s: {', '.join(waiting)}")
    return names
