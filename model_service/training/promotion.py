"""Evaluate a registered candidate against the champion on the same held-out data, and
move the champion alias only when the gate passes; otherwise tag the version rejected."""

import logging
from dataclasses import dataclass

import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from model_service import registry
from model_service.model.loading import load_logged_model
from model_service.settings import Settings
from model_service.training import gate
from model_service.training.data import Comment
from model_service.training.evaluation import classification_metrics
from model_service.training.tracking import dataset_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    version: str
    decision: gate.Decision
    candidate_f1: float | None  # None when nothing was evaluated
    champion_version: str | None
    champion_f1: float | None


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


def evaluate_version(settings: Settings, version: str, held_out: list[Comment]) -> float:
    """F1 of a registered version on the held-out comments, through the full pyfunc."""
    log.info("loading %s version %s from the registry", settings.model_name, version)
    model = load_logged_model(registry.version_uri(settings.model_name, version))
    log.info("scoring %d held-out comments with version %s", len(held_out), version)
    output = model.predict(pd.DataFrame({"text": [c.text for c in held_out]}))
    labels = [c.label for c in held_out]
    return classification_metrics(labels, output["score"].to_numpy())["f1"]


def _champion_f1(
    client: MlflowClient, settings: Settings, version: str, held_out: list[Comment], digest: str
) -> float:
    """The champion's F1 on these held-out rows. A model version is deterministic, so an F1
    it recorded on rows with the same digest is reused instead of scoring them again."""
    tags = client.get_model_version(settings.model_name, version).tags
    if tags.get("gate_data_sha256") == digest and "gate_f1" in tags:
        log.info("champion version %s scored F1 %s on these same rows", version, tags["gate_f1"])
        return float(tags["gate_f1"])
    return evaluate_version(settings, version, held_out)


def promote(settings: Settings, version: str | None, held_out: list[Comment]) -> Outcome:
    client = MlflowClient()
    version = version or latest_version(client, settings.model_name)
    client.get_model_version(settings.model_name, version)  # a clear error when missing
    current = champion_version(client, settings)
    if current == version:
        decision = gate.Decision(True, f"version {version} is already the {settings.alias}")
        return Outcome(version, decision, None, current, None)

    digest = dataset_digest(held_out)
    candidate_f1 = evaluate_version(settings, version, held_out)
    champion_f1 = _champion_f1(client, settings, current, held_out, digest) if current else None
    decision = gate.decide(
        candidate_f1, champion_f1, settings.gate_min_f1, settings.gate_max_drop, current
    )
    tags = {
        "validation_status": "approved" if decision.passed else "rejected",
        "gate_reason": decision.reason,
        "gate_f1": repr(candidate_f1),
        "gate_data_sha256": digest,
        "gate_min_f1": str(settings.gate_min_f1),
        "gate_max_drop": str(settings.gate_max_drop),
    }
    if current:
        tags |= {"gate_champion_version": current, "gate_champion_f1": repr(champion_f1)}
    for key, value in tags.items():
        client.set_model_version_tag(settings.model_name, version, key, value)
    if decision.passed:
        client.set_registered_model_alias(settings.model_name, settings.alias, version)
        log.info("alias %s -> version %s", settings.alias, version)
    return Outcome(version, decision, candidate_f1, current, champion_f1)
