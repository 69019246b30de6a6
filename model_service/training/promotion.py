"""Evaluate a registered candidate against the champion on the same data (the held-out
rows and the evaluation slices), and move the champion alias only when the gate passes;
otherwise tag the version rejected."""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.metrics import f1_score, roc_auc_score

from model_service import registry
from model_service.model.loading import load_logged_model
from model_service.model.pyfunc import TROLL
from model_service.settings import Settings
from model_service.training import gate, slices
from model_service.training.data import Comment
from model_service.training.tracking import dataset_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    version: str
    decision: gate.Decision
    candidate: gate.Evaluation | None  # None when nothing was evaluated
    champion_version: str | None
    champion: gate.Evaluation | None


def latest_version(client: MlflowClient, name: str) -> str:
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        raise LookupError(f"no registered versions of model {name!r}")
    return str(max(int(v.version) for v in versions))


def champion_version(client: MlflowClient, settings: Settings) -> str | None:
    try:
        return str(client.get_model_version_by_alias(settings.model_name, settings.alias).version)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST" or "not found" in str(exc).lower():
            return None
        raise


def classifier_of(model) -> Callable[[list[str]], list[bool]]:
    """Which texts a loaded pyfunc flags as trolling, at the threshold it was trained with."""

    def classify(texts: list[str]) -> list[bool]:
        return (model.predict(pd.DataFrame({"text": texts}))["label"] == TROLL).tolist()

    return classify


def evaluate_version(settings: Settings, version: str, held_out: list[Comment]) -> gate.Evaluation:
    """A registered version on the held-out comments (F1 at the version's own threshold,
    ROC AUC) and on the slices, through the full pyfunc."""
    log.info("loading %s version %s from the registry", settings.model_name, version)
    model = load_logged_model(registry.version_uri(settings.model_name, version))
    log.info("scoring %d held-out comments and the slices with version %s", len(held_out), version)
    output = model.predict(pd.DataFrame({"text": [c.text for c in held_out]}))
    labels = [c.label for c in held_out]
    results = slices.evaluate(classifier_of(model), settings.max_text_chars)
    return gate.Evaluation(
        f1=float(f1_score(labels, output["label"] == TROLL, zero_division=0)),
        roc_auc=float(roc_auc_score(labels, output["score"])),
        slices={row["slice"]: row for row in results},
    )


def data_digest(held_out: list[Comment], max_chars: int) -> str:
    """What the gate scores: the held-out rows and every slice's rows."""
    digest = hashlib.sha256(dataset_digest(held_out).encode())
    for piece in slices.SLICES:
        digest.update(dataset_digest(slices.read_slice(piece, max_chars)).encode())
    return digest.hexdigest()


def _champion_evaluation(
    client: MlflowClient, settings: Settings, version: str, held_out: list[Comment], digest: str
) -> gate.Evaluation:
    """The champion on this data. A model version is deterministic, so an evaluation it
    recorded on data with the same digest is reused instead of scoring it again."""
    tags = client.get_model_version(settings.model_name, version).tags
    recorded = {"gate_f1", "gate_roc_auc", "gate_slices"} <= tags.keys()
    if recorded and tags.get("gate_data_sha256") == digest:
        log.info("champion version %s was scored on this same data", version)
        return gate.Evaluation(
            float(tags["gate_f1"]), float(tags["gate_roc_auc"]), json.loads(tags["gate_slices"])
        )
    return evaluate_version(settings, version, held_out)


def limits(settings: Settings) -> gate.Limits:
    return gate.Limits(
        min_f1=settings.gate_min_f1,
        max_drop=settings.gate_max_drop,
        max_neutral_fpr=settings.gate_max_neutral_fpr,
        max_slice_drop=settings.gate_max_slice_drop,
    )


def promote(settings: Settings, version: str | None, held_out: list[Comment]) -> Outcome:
    client = MlflowClient()
    version = version or latest_version(client, settings.model_name)
    client.get_model_version(settings.model_name, version)  # a clear error when missing
    current = champion_version(client, settings)
    if current == version:
        decision = gate.Decision(True, f"version {version} is already the {settings.alias}")
        return Outcome(version, decision, None, current, None)

    digest = data_digest(held_out, settings.max_text_chars)
    candidate = evaluate_version(settings, version, held_out)
    champion = (
        _champion_evaluation(client, settings, current, held_out, digest) if current else None
    )
    bounds = limits(settings)
    decision = gate.decide(candidate, champion, bounds, current)
    tags = {
        "validation_status": "approved" if decision.passed else "rejected",
        "gate_reason": decision.reason[:5000],  # MLflow's limit for a tag value
        "gate_f1": repr(candidate.f1),
        "gate_roc_auc": repr(candidate.roc_auc),
        "gate_slices": json.dumps(candidate.slices),
        "gate_data_sha256": digest,
        "gate_min_f1": str(bounds.min_f1),
        "gate_max_drop": str(bounds.max_drop),
        "gate_max_neutral_fpr": str(bounds.max_neutral_fpr),
        "gate_max_slice_drop": str(bounds.max_slice_drop),
    }
    if champion:
        tags |= {
            "gate_champion_version": current,
            "gate_champion_f1": repr(champion.f1),
            "gate_champion_roc_auc": repr(champion.roc_auc),
        }
    for key, value in tags.items():
        client.set_model_version_tag(settings.model_name, version, key, value)
    if decision.passed:
        client.set_registered_model_alias(settings.model_name, settings.alias, version)
        log.info("alias %s -> version %s", settings.alias, version)
    return Outcome(version, decision, candidate, current, champion)
