"""Strict validation of rendered objects against Kubernetes OpenAPI schemas.

The schemas come from the kubernetes-validate package (bundled, offline); its
"strict" variants reject unknown fields. The versions checked are pinned in
toolchain/versions.env (KUBE_SCHEMA_VERSIONS): the oldest supported minor and
the newest. Custom objects (cert-manager, prometheus-operator) are checked
against the strict schemas of their pinned CRDs (devstack/crds.py). `make up` checks
what it installs with it; the chart tier checks every chart and profile.
"""

import jsonschema
import kubernetes_validate

from devstack import crds
from devstack.paths import pinned


def schema_versions() -> list[str]:
    return pinned("KUBE_SCHEMA_VERSIONS").split()


def describe(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validation_errors(obj: dict, version: str) -> list[str]:
    """Problems with one object under one Kubernetes version ([] when valid)."""
    custom = crds.schemas().get((obj.get("apiVersion"), obj.get("kind")))
    if custom:
        return [
            f"{describe(obj)} at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in jsonschema.Draft7Validator(custom).iter_errors(obj)
        ]
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError as err:
        return [f"{describe(obj)}: {err.message}"]
    except kubernetes_validate.ValidationError as err:
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return [f"{describe(obj)} at {path}: {err.message}"]
    return []
