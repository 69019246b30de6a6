"""Write the model API's reference from the OpenAPI document the service serves.

The document is built by the same code that answers GET /docs.json
(model_service/serving/api_document.py), with the default TROLL_* settings. It is kept as
docs/api/openapi.json, and docs/api/reference.md is rendered from it, so the reference
never says more or less than the served contract.

    python toolchain/api_reference.py          # rewrite both files
    python toolchain/api_reference.py --check  # exit 1 if either is stale
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = REPO_ROOT / "docs" / "api"
DOCUMENT = OUT / "openapi.json"
REFERENCE = OUT / "reference.md"
METHODS = ("get", "post", "put", "patch", "delete")


def served_document() -> dict[str, Any]:
    """The document `bentoml serve` answers with, for the default settings."""
    for name in [name for name in os.environ if name.startswith("TROLL_")]:
        del os.environ[name]
    sys.path.insert(0, str(REPO_ROOT))
    # Imported here: the service reads its settings from the environment when imported.
    from model_service.serving.service import TrollClassifier  # noqa: PLC0415

    return TrollClassifier.openapi_spec.asdict()


def schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type in words: "array of [Prediction](#prediction)", "string or null"."""
    if "properties" in schema and "title" in schema:
        kind = f"object {schema['title']}"
    elif "$ref" in schema:
        name = schema_name(schema["$ref"])
        return f"[{name}](#{name.lower()})"
    elif "allOf" in schema and len(schema["allOf"]) == 1:
        kind = type_of(schema["allOf"][0])
    elif "anyOf" in schema or "oneOf" in schema:
        kind = " or ".join(type_of(option) for option in schema.get("anyOf", schema.get("oneOf")))
    elif "enum" in schema:
        kind = " or ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    elif schema.get("type") == "array":
        kind = f"array of {type_of(schema.get('items', {}))}"
    else:
        kind = schema.get("type", "any")
    return f"{kind} or null" if schema.get("nullable") else kind


def limits_of(schema: dict[str, Any]) -> str:
    """Validation keywords in words, the items' included."""
    parts = []
    for low, high, unit in (
        ("minItems", "maxItems", "items"),
        ("minLength", "maxLength", "characters"),
        ("minimum", "maximum", ""),
    ):
        if low in schema or high in schema:
            span = f"{schema.get(low, '')} to {schema.get(high, '')}".strip()
            parts.append(f"{span} {unit}".strip())
    if "pattern" in schema:
        parts.append(f"matches `{schema['pattern']}`")
    items = schema.get("items", {})
    if schema.get("type") == "array" and (item_limits := limits_of(items)):
        parts.append(f"each item: {item_limits}")
    return "; ".join(parts)


def fields_table(schema: dict[str, Any]) -> list[str]:
    """An object's fields as a table; any other schema as its type and limits."""
    if "properties" not in schema:
        limits = limits_of(schema)
        return [type_of(schema) + (f"; {limits}" if limits else "")]
    if not schema["properties"]:
        return ["an object with no fields"]
    required = set(schema.get("required", []))
    lines = ["| field | type | required | limits | description |", "|---|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        cells = [
            f"`{name}`",
            type_of(prop),
            "yes" if name in required else "no",
            limits_of(prop),
            prop.get("description", ""),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def body_of(content: dict[str, Any] | None) -> str:
    if not content:
        return "(none)"
    return "; ".join(
        f"`{media}`: {type_of(media_spec.get('schema', {}))}"
        for media, media_spec in content.items()
    )


def operation_section(route: str, method: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} {route}", ""]
    if operation.get("description"):
        lines += [" ".join(operation["description"].split()), ""]
    if request := operation.get("requestBody"):
        needed = "required" if request.get("required") else "optional"
        for media, media_spec in request["content"].items():
            schema = media_spec["schema"]
            lines += [f"Request body (`{media}`, {needed}):", "", *fields_table(schema), ""]
            example = {
                name: prop["example"]
                for name, prop in schema.get("properties", {}).items()
                if "example" in prop
            }
            if example:
                lines += ["Example:", "", "```json", json.dumps(example), "```", ""]
    lines += ["| status | body | meaning |", "|---|---|---|"]
    inline_bodies = []
    for status, response in operation["responses"].items():
        meaning = response["description"].replace("|", "\\|")
        lines.append(f"| {status} | {body_of(response.get('content'))} | {meaning} |")
        for media_spec in (response.get("content") or {}).values():
            if "properties" in media_spec.get("schema", {}):
                inline_bodies += ["", f"Body of {status}:", "", *fields_table(media_spec["schema"])]
    return [*lines, *inline_bodies, ""]


def render(doc: dict[str, Any]) -> str:
    info = doc["info"]
    lines = [
        f"# {info['title']} API reference",
        "",
        "Generated by `make api-docs` (`toolchain/api_reference.py`) from the OpenAPI "
        f"{doc['openapi']} document the service serves at `/docs.json`, kept beside this "
        "file as [openapi.json](openapi.json); do not edit by hand. The limits are those of "
        "the default settings (`TROLL_MAX_TEXTS`, `TROLL_MAX_TEXT_CHARS`).",
        "",
        " ".join(info.get("description", "").split()),
        "",
        "## Operations",
        "",
    ]
    for route, path in doc["paths"].items():
        for method in METHODS:
            if method in path:
                lines += operation_section(route, method, path[method])
    lines += ["## Schemas", ""]
    for name, schema in doc["components"]["schemas"].items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        lines += [*fields_table(schema), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(check: bool = False) -> int:
    doc = served_document()
    wanted = {
        DOCUMENT: json.dumps(doc, indent=2, sort_keys=True) + "\n",
        REFERENCE: render(doc),
    }
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if check:
        for path in stale:
            print(f"{path.relative_to(REPO_ROOT)} is stale: run make api-docs", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path, text in wanted.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
