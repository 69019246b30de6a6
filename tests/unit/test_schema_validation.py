"""The schema validation itself rejects unknown fields and wrong types."""

from devstack.kube_schema import schema_versions, validation_errors

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "s"},
    "spec": {"ports": [{"port": 80}]},
}
ISSUER = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "ClusterIssuer",
    "metadata": {"name": "self-signed"},
    "spec": {"selfSigned": {}},
}


def test_valid_objects_pass_on_every_pinned_version() -> None:
    for version in schema_versions():
        assert validation_errors(SERVICE, version) == []
        assert validation_errors(ISSUER, version) == []


def test_unknown_core_field_is_named() -> None:
    bad = {**SERVICE, "spec": {"ports": [{"port": 80, "prot": 1}]}}
    [error] = validation_errors(bad, schema_versions()[0])
    assert "prot" in error and "Service/s" in error


def test_wrong_type_is_reported() -> None:
    bad = {**SERVICE, "spec": {"ports": [{"port": "eighty"}]}}
    assert validation_errors(bad, schema_versions()[-1])


def test_unknown_custom_resource_field_is_named() -> None:
    bad = {**ISSUER, "spec": {"selfSigned": {}, "acmee": {}}}
    [error] = validation_errors(bad, schema_versions()[0])
    assert "acmee" in error


def test_kind_without_schema_is_an_error_not_a_pass() -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert validation_errors(unknown, schema_versions()[0])
