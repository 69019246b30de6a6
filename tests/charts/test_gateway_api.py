"""The Gateway API beside Ingress: every component with an Ingress has an equivalent
HTTPRoute, the release's own Gateway serves them (TLS from cert-manager, HTTP redirected),
prod needs no ingress-nginx, and the Raspberry Pi profile uses k3s' Traefik."""

import copy

import pytest
import yaml

from devstack import charts, crds
from devstack.kube_schema import schema_versions, validation_errors
from devstack.paths import PLATFORM_CHART
from tests.harness.helm_release import profile_values

GATEWAY_API = "gateway.networking.k8s.io/v1"
# Where each component's route and Ingress switches live in the umbrella's values.
COMPONENTS = {
    "mlflow": ("mlflow",),
    "harbor": ("harbor",),
    "troll-classifier": ("troll-classifier",),
    "webapp": ("webapp",),
    "grafana": ("monitoring", "grafana"),
    "prometheus": ("monitoring", "prometheus"),
}


def nested(path: tuple[str, ...], leaf: dict) -> dict:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


def every_entry_point(**route: object) -> dict:
    """Every component's Ingress and HTTPRoute switched on, on one domain."""
    values = profile_values("local", {"global": {"domain": "example.org"}})
    for path in COMPONENTS.values():
        on = {"ingress": {"enabled": True}, "httpRoute": {"enabled": True, **route}}
        values = profile_values("local", values, nested(path, on))
    return values


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def service_port(services: dict[str, dict], name: str, port_name: str) -> int:
    [port] = [p["port"] for p in services[name]["spec"]["ports"] if p["name"] == port_name]
    return port


def ingress_routing(ingress: dict, services: dict[str, dict]) -> tuple[str, list]:
    """(host, [(path prefix, Service, port number)]) of a one-host Ingress."""
    [rule] = ingress["spec"]["rules"]
    paths = []
    for path in rule["http"]["paths"]:
        service = path["backend"]["service"]
        port = service_port(services, service["name"], service["port"]["name"])
        paths.append((path["path"].rstrip("/") or "/", service["name"], port))
    return rule["host"], paths


def route_routing(route: dict) -> tuple[str, list]:
    [host] = route["spec"]["hostnames"]
    paths = []
    for rule in route["spec"]["rules"]:
        [match] = rule["matches"]
        [backend] = rule["backendRefs"]
        assert match["path"]["type"] == "PathPrefix"
        paths.append((match["path"]["value"], backend["name"], backend["port"]))
    return host, paths


@pytest.fixture(scope="module")
def everything() -> list[dict]:
    return charts.render(PLATFORM_CHART, every_entry_point())


def test_every_ingress_has_an_httproute_that_routes_the_same(everything: list[dict]) -> None:
    ingresses = of_kind(everything, "Ingress")
    routes = of_kind(everything, "HTTPRoute")
    services = of_kind(everything, "Service")
    assert len(ingresses) == len(COMPONENTS), sorted(ingresses)
    for name, ingress in ingresses.items():
        assert name in routes, f"Ingress {name} has no HTTPRoute"
        assert route_routing(routes[name]) == ingress_routing(ingress, services), name


def test_routes_attach_to_the_release_gateway_by_default(everything: list[dict]) -> None:
    routes = of_kind(everything, "HTTPRoute")
    assert len(routes) == len(COMPONENTS), sorted(routes)
    for route in routes.values():
        assert route["spec"]["parentRefs"] == [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": "mlops-gateway",
                "namespace": "mlops",
            }
        ]


def test_a_routes_own_parent_refs_win() -> None:
    parent = {"name": "shared", "namespace": "infra", "sectionName": "websecure"}
    objects = charts.render(PLATFORM_CHART, every_entry_point(parentRefs=[parent]))
    routes = of_kind(objects, "HTTPRoute")
    assert len(routes) == len(COMPONENTS), sorted(routes)
    for route in routes.values():
        assert route["spec"]["parentRefs"] == [parent]


def test_gateway_api_objects_are_valid_against_the_pinned_crds() -> None:
    objects = [
        o
        for o in charts.render(PLATFORM_CHART, profile_values("prod"))
        if o["apiVersion"] == GATEWAY_API
    ]
    assert {o["kind"] for o in objects} == {"Gateway", "HTTPRoute"}
    for version in schema_versions():
        errors = [e for o in objects for e in validation_errors(o, version)]
        assert errors == []
    # The schema is really applied: an Ingress-style path type is refused.
    broken = copy.deepcopy(next(o for o in objects if o["kind"] == "HTTPRoute"))
    broken["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"
    assert validation_errors(broken, schema_versions()[0])
    assert any(f.parent.name == "gateway-api" for f in crds.crd_files())


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return charts.render(PLATFORM_CHART, profile_values("prod"))


def test_prod_needs_no_ingress_nginx(prod: list[dict]) -> None:
    assert of_kind(prod, "Ingress") == {}
    text = yaml.safe_dump_all(prod)
    assert "ingress-nginx" not in text
    assert "nginx.ingress.kubernetes.io" not in text


def test_prods_gateway_terminates_tls_for_every_route(prod: list[dict]) -> None:
    [gateway] = of_kind(prod, "Gateway").values()
    assert (
        gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-http01"
    )
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["http"]["port"] == 80
    routes = of_kind(prod, "HTTPRoute")
    redirect = routes.pop("mlops-https-redirect")
    assert len(routes) == 5, sorted(routes)
    for route in routes.values():
        [parent] = route["spec"]["parentRefs"]
        listener = listeners[parent["sectionName"]]
        assert listener["protocol"] == "HTTPS" and listener["port"] == 443
        assert route["spec"]["hostnames"] == [listener["hostname"]]
        [certificate] = listener["tls"]["certificateRefs"]
        assert certificate["name"].endswith("-gateway-tls")
    # Plain HTTP only redirects, for exactly the routed hosts.
    assert redirect["spec"]["parentRefs"][0]["sectionName"] == "http"
    hosts = sorted(h for r in routes.values() for h in r["spec"]["hostnames"])
    assert sorted(redirect["spec"]["hostnames"]) == hosts
    [rule] = redirect["spec"]["rules"]
    assert rule["filters"][0]["requestRedirect"]["scheme"] == "https"


def test_prods_acme_challenges_go_through_its_gateway(prod: list[dict]) -> None:
    [gateway] = of_kind(prod, "Gateway").values()
    [issuer] = of_kind(prod, "ClusterIssuer").values()
    [solver] = issuer["spec"]["acme"]["solvers"]
    [parent] = solver["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert (parent["kind"], parent["name"]) == ("Gateway", gateway["metadata"]["name"])
    assert parent["namespace"] == "mlops"


def test_without_the_gateway_api_the_chart_says_what_is_missing() -> None:
    with pytest.raises(Exception, match="the Gateway API is not installed"):
        charts.render(PLATFORM_CHART, every_entry_point(), with_crds=False)


def test_a_created_gateway_needs_its_class() -> None:
    values = profile_values("prod", {"global": {"gateway": {"className": ""}}})
    with pytest.raises(Exception, match="global.gateway.className is required"):
        charts.render(PLATFORM_CHART, values)


def test_a_created_gateway_lives_in_the_release_namespace() -> None:
    values = profile_values("prod", {"global": {"gateway": {"namespace": "infra"}}})
    with pytest.raises(Exception, match='global.gateway.namespace "infra"'):
        charts.render(PLATFORM_CHART, values)


def test_the_raspberry_pi_profile_uses_k3s_traefik() -> None:
    objects = charts.render(PLATFORM_CHART, profile_values("raspberry-pi"))
    ingresses = of_kind(objects, "Ingress")
    assert len(ingresses) == 4, sorted(ingresses)
    assert {i["spec"]["ingressClassName"] for i in ingresses.values()} == {"traefik"}
