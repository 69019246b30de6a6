"""Explicit readiness checks of what a release put into a namespace, so a test does
not have to trust `helm --wait` (which can pass on stale or partial state, see
research/harness.md §8). Each check returns one line per problem, naming the object;
an empty list means ready. `settle` polls a check until it passes or times out.

Under the `local` provider kwok plays the kubelet: pods turn Running/Ready, Jobs and
test pods Succeeded, volumes bind, all without running a container. A pass proves the
objects were accepted, scheduled and wired (selectors, named ports, claims), not that
any container would start.
"""

import time
from collections.abc import Callable

import kubernetes
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError
from kubernetes.utils import parse_quantity


def settle(check: Callable[[], list[str]], timeout: float, interval: float = 0.5) -> list[str]:
    """Poll `check` until it reports no problem or `timeout` seconds pass; returns the
    last problems (empty when settled)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = check()
        if not problems or time.monotonic() >= deadline:
            return problems
        time.sleep(interval)


def _condition(obj, kind: str) -> str | None:
    for condition in (obj.status.conditions if obj.status else None) or []:
        if condition.type == kind:
            return condition.status
    return None


def unavailable_workloads(api: kubernetes.client.ApiClient, namespace: str) -> list[str]:
    """Deployments and StatefulSets whose every replica is not updated, ready and
    available for the current spec (observedGeneration caught up)."""
    apps = kubernetes.client.AppsV1Api(api)
    problems = []
    for deploy in apps.list_namespaced_deployment(namespace).items:
        want, s = deploy.spec.replicas, deploy.status
        counts = (s.updated_replicas or 0, s.ready_replicas or 0, s.available_replicas or 0)
        if (
            (s.observed_generation or 0) < deploy.metadata.generation
            or counts != (want, want, want)
            or _condition(deploy, "Available") != "True"
        ):
            problems.append(
                f"Deployment {deploy.metadata.name}: {counts[2]}/{want} available, "
                f"{counts[0]} updated, {counts[1]} ready (generation "
                f"{deploy.metadata.generation}, observed {s.observed_generation})"
            )
    for sts in apps.list_namespaced_stateful_set(namespace).items:
        want, s = sts.spec.replicas, sts.status
        counts = (s.updated_replicas or 0, s.ready_replicas or 0, s.available_replicas or 0)
        if (
            (s.observed_generation or 0) < sts.metadata.generation
            or counts != (want, want, want)
            or s.current_revision != s.update_revision
        ):
            problems.append(
                f"StatefulSet {sts.metadata.name}: {counts[2]}/{want} available, "
                f"{counts[0]} updated, {counts[1]} ready, revision {s.current_revision} "
                f"(want {s.update_revision})"
            )
    return problems


def services_without_endpoints(api: kubernetes.client.ApiClient, namespace: str) -> list[str]:
    """Services with a selector where some port has no ready endpoint. Checked per port:
    a targetPort naming a container port the pods lack leaves that port empty."""
    core = kubernetes.client.CoreV1Api(api)
    discovery = kubernetes.client.DiscoveryV1Api(api)
    problems = []
    for svc in core.list_namespaced_service(namespace).items:
        if not svc.spec.selector:
            continue
        slices = discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={svc.metadata.name}"
        ).items
        ready_ports = {
            port.name or ""
            for s in slices
            if any(e.conditions.ready for e in s.endpoints or [])
            for port in s.ports or []
        }
        for port in svc.spec.ports:
            if (port.name or "") not in ready_ports:
                problems.append(
                    f"Service {svc.metadata.name}: no ready endpoint for port "
                    f"{port.name or port.port} (targetPort {port.target_port}, "
                    f"selector {svc.spec.selector})"
                )
    return problems


def unbound_claims(api: kubernetes.client.ApiClient, namespace: str) -> list[str]:
    """PVCs that are not Bound to a volume that claims them back with enough capacity."""
    core = kubernetes.client.CoreV1Api(api)
    problems = []
    for pvc in core.list_namespaced_persistent_volume_claim(namespace).items:
        name = pvc.metadata.name
        if pvc.status.phase != "Bound" or not pvc.spec.volume_name:
            problems.append(
                f"PersistentVolumeClaim {name}: {pvc.status.phase} "
                f"(storageClass {pvc.spec.storage_class_name})"
            )
            continue
        pv = core.read_persistent_volume(pvc.spec.volume_name)
        ref = pv.spec.claim_ref
        if not ref or (ref.namespace, ref.name, ref.uid) != (namespace, name, pvc.metadata.uid):
            problems.append(f"PersistentVolumeClaim {name}: {pv.metadata.name} claims {ref}")
        want = pvc.spec.resources.requests["storage"]
        if parse_quantity(pv.spec.capacity["storage"]) < parse_quantity(want):
            problems.append(
                f"PersistentVolumeClaim {name}: volume has {pv.spec.capacity['storage']}, "
                f"wanted {want}"
            )
    return problems


def not_ready(api: kubernetes.client.ApiClient, namespace: str) -> list[str]:
    """Every check above, for one namespace."""
    return (
        unavailable_workloads(api, namespace)
        + services_without_endpoints(api, namespace)
        + unbound_claims(api, namespace)
    )


ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


def unwired_ingresses(
    api: kubernetes.client.ApiClient, namespace: str, cluster_issuers: set[str]
) -> list[str]:
    """Ingresses without a class, with a backend Service or port that does not exist,
    a TLS entry without a Secret name or host rule, or a cert-manager ClusterIssuer
    annotation naming an issuer not among `cluster_issuers`."""
    core = kubernetes.client.CoreV1Api(api)
    services = {s.metadata.name: s for s in core.list_namespaced_service(namespace).items}
    problems = []
    for ing in kubernetes.client.NetworkingV1Api(api).list_namespaced_ingress(namespace).items:
        name = f"Ingress {ing.metadata.name}"
        if not ing.spec.ingress_class_name:
            problems.append(f"{name}: no ingressClassName")
        hosts = {rule.host for rule in ing.spec.rules or []}
        for rule in ing.spec.rules or []:
            for path in rule.http.paths:
                problems += _backend_problems(name, path.path, path.backend.service, services)
        for tls in ing.spec.tls or []:
            if not tls.secret_name:
                problems.append(f"{name}: TLS for {tls.hosts} names no Secret")
            if set(tls.hosts or []) - hosts:
                problems.append(f"{name}: TLS hosts {tls.hosts} without a rule ({hosts})")
        issuer = (ing.metadata.annotations or {}).get(ISSUER_ANNOTATION)
        if ing.spec.tls and not issuer:
            problems.append(f"{name}: TLS without a {ISSUER_ANNOTATION} annotation")
        if issuer and issuer not in cluster_issuers:
            problems.append(f"{name}: issuer {issuer} is not a ClusterIssuer of the release")
    return problems


def _backend_problems(ingress: str, path: str, backend, services: dict) -> list[str]:
    svc = services.get(backend.name)
    if svc is None:
        return [f"{ingress} {path}: Service {backend.name} does not exist"]
    port = backend.port
    if not any(p.name == port.name if port.name else p.port == port.number for p in svc.spec.ports):
        return [f"{ingress} {path}: Service {backend.name} has no port {port.name or port.number}"]
    return []


GATEWAY_API = "gateway.networking.k8s.io/v1"


def unwired_routes(client: DynamicClient, namespace: str, cluster_issuers: set[str]) -> list[str]:
    """Gateway API wiring in `namespace`: an HTTPRoute whose parent Gateway or listener
    does not exist, whose host no listener of it accepts, or whose backend Service or
    port does not exist; a Gateway whose HTTPS listener names no certificate, or whose
    cert-manager annotation names an issuer not among `cluster_issuers`."""
    core = kubernetes.client.CoreV1Api(client.client)
    services = {s.metadata.name: s for s in core.list_namespaced_service(namespace).items}
    gateways = client.resources.get(api_version=GATEWAY_API, kind="Gateway")
    routes = client.resources.get(api_version=GATEWAY_API, kind="HTTPRoute")
    problems = []
    for gateway in gateways.get(namespace=namespace).to_dict()["items"]:
        name = f"Gateway {gateway['metadata']['name']}"
        for listener in gateway["spec"]["listeners"]:
            refs = (listener.get("tls") or {}).get("certificateRefs")
            if listener["protocol"] == "HTTPS" and not refs:
                problems.append(f"{name} listener {listener['name']}: HTTPS names no certificate")
        issuer = (gateway["metadata"].get("annotations") or {}).get(ISSUER_ANNOTATION)
        if issuer and issuer not in cluster_issuers:
            problems.append(f"{name}: issuer {issuer} is not a ClusterIssuer of the release")
    for route in routes.get(namespace=namespace).to_dict()["items"]:
        name = f"HTTPRoute {route['metadata']['name']}"
        hosts = set(route["spec"].get("hostnames") or [])
        for parent in route["spec"]["parentRefs"]:
            problems += _parent_problems(name, parent, hosts, gateways, namespace)
        for rule in route["spec"]["rules"]:
            for backend in rule.get("backendRefs") or []:
                svc = services.get(backend["name"])
                if svc is None:
                    problems.append(f"{name}: Service {backend['name']} does not exist")
                elif not any(p.port == backend["port"] for p in svc.spec.ports):
                    problems.append(
                        f"{name}: Service {backend['name']} has no port {backend['port']}"
                    )
    return problems


def _parent_problems(
    route: str, parent: dict, hosts: set[str], gateways, namespace: str
) -> list[str]:
    where = parent.get("namespace") or namespace
    try:
        gateway = gateways.get(name=parent["name"], namespace=where).to_dict()
    except NotFoundError:
        return [f"{route}: Gateway {where}/{parent['name']} does not exist"]
    listeners = [
        listener
        for listener in gateway["spec"]["listeners"]
        if parent.get("sectionName") in (None, listener["name"])
    ]
    if not listeners:
        return [f"{route}: Gateway {parent['name']} has no listener {parent['sectionName']}"]
    accepted = {listener.get("hostname") for listener in listeners}
    if None not in accepted and not hosts <= accepted:
        return [
            f"{route}: no listener of Gateway {parent['name']} accepts {sorted(hosts - accepted)}"
        ]
    return []
