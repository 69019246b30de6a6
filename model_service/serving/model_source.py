"""Where the service gets its model: the registry alias, a registry version, a local
MLflow model directory, or a model baked into the Bento (`bento:<tag>`)."""

from dataclasses import dataclass

from model_service import registry
from model_service.model.loading import load_logged_model


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
