"""Strict validation of rendered objects against Kubernetes OpenAPI schemas.

The schemas come from the kubernetes-validate package (bundled, offline); its
"strict" variants reject unknown fields. The versions checked are pinned in
toolchain/versions.env (KUBE_SCHEMA_VERSIONS): the oldest supported minor and
the newest.
"""

import kubernetes_validate

from tests.harness.paths import REPO_ROOT


def schema_versions() -> list[str]:
    for line in (REPO_ROOT / "toolchain" / "versions.env").read_text().splitlines():
        if line.startswith("KUBE_SCHEMA_VERSIONS="):
            return line.split("=", 1)[1].strip().strip('"').split()
    raise LookupError("KUBE_SCHEMA_VERSIONS is not set in toolchain/versions.env")


def describe(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validation_errors(obj: dict, version: str) -> list[str]:
    """Problems with one object under one Kubernetes version ([] when valid)."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError as err:
        return [f"{describe(obj)}: {err.message}"]
    except kubernetes_validate.ValidationError as err:
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return [f"{describe(obj)} at {path}: {err.message}"]
    return []
