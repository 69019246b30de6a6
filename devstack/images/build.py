"""Build recipes in order, skipping any whose inputs are unchanged: an image is cached
under the content hash of its recipe, pinned version and parents, kept in a label."""

import hashlib
import sys
import time
from dataclasses import dataclass

from devstack.images import docker as engine
from devstack.images.recipes import RECIPES, Recipe


@dataclass(frozen=True)
class Outcome:
    name: str
    reference: str
    action: str  # "built" or "cached"
    seconds: float


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def in_build_order(names: list[str]) -> list[Recipe]:
    """The named recipes and everything they need, in the order RECIPES lists them."""
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise KeyError(f"unknown image recipe(s) {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for need in RECIPES[name].needs:
                add(need)

    for name in names or list(RECIPES):
        add(name)
    return [r for n, r in RECIPES.items() if n in wanted]


def recipe_hash(recipe: Recipe) -> str:
    digest = hashlib.sha256()
    for part in (recipe.name, recipe.version(), recipe.reference()):
        digest.update(part.encode() + b"\0")
    for need in recipe.needs:
        # A rebuilt parent is a new image ID, so everything built on it is rebuilt.
        digest.update(engine.image_id(RECIPES[need].reference()).encode() + b"\0")
    for name, content in recipe.inputs():
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def labels_for(recipe: Recipe, content_hash: str) -> dict[str, str]:
    return {
        engine.LOCAL_BUILD_LABEL: recipe.name,
        engine.RECIPE_HASH_LABEL: content_hash,
        engine.VERSION_LABEL: recipe.version(),
    }


def build_one(recipe: Recipe) -> Outcome:
    started = time.monotonic()
    reference = recipe.reference()
    content_hash = recipe_hash(recipe)
    current = engine.image_labels(reference) or {}
    if current.get(engine.RECIPE_HASH_LABEL) == content_hash:
        action = "cached"
    elif same := engine.images_with_hash(content_hash):
        engine.docker("tag", same[0], reference)
        action = "cached"
    else:
        say(f"{recipe.name}: building {reference} (recipe hash {content_hash})")
        parents = [RECIPES[n].reference() for n in recipe.needs]
        recipe.build(reference, labels_for(recipe, content_hash), parents)
        built = engine.image_labels(reference) or {}
        if built.get(engine.RECIPE_HASH_LABEL) != content_hash:
            raise engine.EngineError(f"{reference} was built but lacks its recipe-hash label")
        action = "built"
    outcome = Outcome(recipe.name, reference, action, time.monotonic() - started)
    say(f"{recipe.name}: {action} {reference} in {outcome.seconds:.1f}s (hash {content_hash})")
    return outcome


def build(names: list[str] | None = None) -> list[Outcome]:
    engine.require_engine()
    return [build_one(recipe) for recipe in in_build_order(names or [])]


def listing() -> list[dict]:
    """Each recipe's reference and whether a local build of it is present."""
    engine.require_engine()
    rows = []
    for recipe in RECIPES.values():
        try:
            reference = recipe.reference()
        except (OSError, ValueError) as err:
            rows.append({"name": recipe.name, "reference": "?", "state": f"unavailable: {err}"})
            continue
        labels = engine.image_labels(reference)
        summary = engine.image_summary(reference) if labels is not None else None
        if labels is None:
            state = "not built"
        elif labels.get(engine.LOCAL_BUILD_LABEL) != recipe.name:
            state = "present, not a local build of this recipe"
        else:
            state = (
                f"built {summary['created'][:19]}, {summary['size'] / 2**20:.0f} MiB, "
                f"hash {labels.get(engine.RECIPE_HASH_LABEL)}"
            )
        rows.append({"name": recipe.name, "reference": reference, "state": state})
    return rows
