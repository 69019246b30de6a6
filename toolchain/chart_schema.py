"""Compose each chart's values.schema.json from its source and the shared definitions.

Definitions that several charts use (image, resources, security contexts, PDB,
placement, ...) are written once, in the common library chart
(charts/platform/charts/common/values.schema.definitions.json). A chart's source,
values.schema.src.json beside its Chart.yaml, refers to them as
`{"$ref": "#/definitions/<name>"}` like to its own; the generated
values.schema.json (committed, so Helm needs no build step) carries the chart's
own definitions plus every shared one it reaches.

    python toolchain/chart_schema.py          # rewrite every values.schema.json
    python toolchain/chart_schema.py --check  # exit 1 if any is stale
"""

import json
import sys
from pathlib import Path

CHARTS = Path(__file__).resolve().parent.parent / "charts"
UMBRELLA = CHARTS / "platform"
SHARED = UMBRELLA / "charts" / "common" / "values.schema.definitions.json"
SOURCE = "values.schema.src.json"
TARGET = "values.schema.json"
REF_PREFIX = "#/definitions/"


class SchemaError(Exception):
    """A source refers to an unknown definition or redefines a shared one."""


def refs(node) -> set[str]:
    """Names of the definitions a schema fragment refers to."""
    found = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref.removeprefix(REF_PREFIX))
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def compose(source: dict, shared: dict, name: str) -> dict:
    """The source with every shared definition it reaches, directly or through another."""
    own = source.get("definitions", {})
    clash = sorted(set(own) & set(shared))
    if clash:
        raise SchemaError(f"{name}: {SOURCE} redefines shared definitions {clash}")
    used: dict = {}
    pending = refs({k: v for k, v in source.items() if k != "definitions"}) | refs(own)
    while pending:
        ref = pending.pop()
        if ref in own or ref in used:
            continue
        if ref not in shared:
            raise SchemaError(f"{name}: {SOURCE} refers to unknown definition {ref!r}")
        used[ref] = shared[ref]
        pending |= refs(shared[ref])
    schema = dict(source)
    definitions = {**own, **{k: used[k] for k in sorted(used)}}
    if definitions:
        schema["definitions"] = definitions
    # Keep the usual key order: $schema, title, type, ..., definitions before properties.
    order = ["$schema", "title", "type", "additionalProperties", "definitions"]
    return {k: schema[k] for k in order if k in schema} | {
        k: v for k, v in schema.items() if k not in order
    }


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2) + "\n"


def charts_with_sources() -> list[Path]:
    """The umbrella and its subcharts (charts/platform/charts/<name>)."""
    found = [UMBRELLA / SOURCE, *UMBRELLA.glob(f"charts/*/{SOURCE}")]
    return sorted(p.parent for p in found if p.exists())


def generated() -> dict[Path, str]:
    """Generated text of every chart's values.schema.json, by path."""
    shared = json.loads(SHARED.read_text())["definitions"]
    return {
        chart / TARGET: render(
            compose(json.loads((chart / SOURCE).read_text()), shared, chart.name)
        )
        for chart in charts_with_sources()
    }


def main(check: bool = False) -> int:
    stale = []
    for path, text in generated().items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        stale.append(path.relative_to(CHARTS.parent))
        if not check:
            path.write_text(text)
    if check and stale:
        print("stale (run: make chart-schemas):", *map(str, stale), sep="\n  ")
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
