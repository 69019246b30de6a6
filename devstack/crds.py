"""CRDs the charts target (cert-manager, prometheus-operator), read from the
module archives that toolchain/setup.sh links into .tools/crds/.

They give rendering the API versions to render with and validation the schemas to
check custom objects against; the cluster tier applies them server-side.
"""

import copy
import functools
from pathlib import Path

import yaml

from devstack.paths import REPO_ROOT

CRDS_DIR = REPO_ROOT / ".tools" / "crds"


class _CRDLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader that reads YAML 1.1's `=` value tag (used in enum lists) as a string."""


_CRDLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: node.value)


def _load_crds(path: Path) -> list[dict]:
    docs = yaml.load_all(path.read_text(), Loader=_CRDLoader)  # noqa: S506 - a SafeLoader subclass
    return [d for d in docs if d and d.get("kind") == "CustomResourceDefinition"]


@functools.cache
def crd_documents() -> tuple[dict, ...]:
    if not CRDS_DIR.exists():
        raise FileNotFoundError(f"{CRDS_DIR} is missing: run `make setup`")
    return tuple(doc for path in crd_files() for doc in _load_crds(path))


def crd_files() -> list[Path]:
    return sorted(CRDS_DIR.glob("*/*.yaml"))


def api_versions() -> list[str]:
    """`group/version/Kind` strings for helm's --api-versions, for every served version."""
    return [
        f"{crd['spec']['group']}/{version['name']}/{crd['spec']['names']['kind']}"
        for crd in crd_documents()
        for version in crd["spec"]["versions"]
        if version.get("served")
    ]


def strict(schema: dict) -> dict:
    """An OpenAPI v3 schema as strict JSON schema: objects with declared
    properties reject unknown ones, as the API server's pruning would drop them."""
    schema = copy.deepcopy(schema)

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


@functools.cache
def schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> strict JSON schema of the custom object."""
    found = {}
    for crd in crd_documents():
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = strict(version["schema"]["openAPIV3Schema"])
            # metadata is declared as a bare object in CRDs; the API server checks it.
            schema["properties"]["metadata"] = {"type": "object"}
            found[(f"{group}/{version['name']}", kind)] = schema
    return found
