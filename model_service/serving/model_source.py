"""Where the service gets its model: the registry alias, a registry version, a local
MLflow model directory, or a model baked into the Bento (`bento:<tag>`); and the check a
loaded model passes before it serves."""

from dataclasses import dataclass

import pandas as pd

from model_service import registry
from model_service.model.loading import load_logged_model

# Texts a model classifies before it serves: the first call pays for lazy setup
# (sessions, thread pools), and the answers show that the model works.
WARM_UP_TEXTS = ["warm-up", "Thanks, that helped a lot.", "Nobody asked for your opinion, idiot."]


class ModelRefused(RuntimeError):
    """A loaded model that does not answer as a troll classifier must."""


@dataclass(frozen=True)
class Loaded:
    model: object  # an mlflow.pyfunc.PyFuncModel
    source: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None


def load(uri: str) -> Loaded:
    if uri.startswith(registry.BENTO_PREFIX):
        return _from_bento(uri.removeprefix(registry.BENTO_PREFIX))
    return _from_mlflow(uri)


def _from_mlflow(uri: str) -> Loaded:
    registered = registry.resolve(uri)
    if registered is None:  # a local model folder or another MLflow URI: no registry facts
        return Loaded(load_logged_model(uri), uri)
    return Loaded(
        load_logged_model(registered.uri),
        registered.uri,
        registered.name,
        registered.version,
        registered.run_id,
    )


def _from_bento(tag: str) -> Loaded:
    import bentoml

    stored = bentoml.models.get(tag)
    labels = stored.info.labels
    return Loaded(
        bentoml.mlflow.load_model(stored),
        f"{registry.BENTO_PREFIX}{stored.tag}",
        labels.get("registered_model"),
        labels.get("registered_version"),
        labels.get("run_id"),
    )


def warm(loaded: Loaded) -> None:
    """Classify the warm-up texts; raise ModelRefused unless every answer is a label and
    a probability."""
    from model_service.model.pyfunc import NOT_TROLL, TROLL  # imports MLflow: only here

    frame = loaded.model.predict(pd.DataFrame({"text": WARM_UP_TEXTS}))
    labels, scores = list(frame["label"]), [float(s) for s in frame["score"]]
    if len(labels) != len(WARM_UP_TEXTS) or not set(labels) <= {TROLL, NOT_TROLL}:
        raise ModelRefused(f"{loaded.source} answered labels {labels}, not {TROLL}/{NOT_TROLL}")
    if not all(0.0 <= score <= 1.0 for score in scores):
        raise ModelRefused(f"{loaded.source} answered scores {scores}, not probabilities")
