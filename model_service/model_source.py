"""Where the service gets its model: the registry alias, a registry version, a local
MLflow model directory, or a model baked into the Bento (`bento:<tag>`)."""

import re
from dataclasses import dataclass

BENTO_PREFIX = "bento:"
ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/]+)$")
VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


@dataclass(frozen=True)
class Loaded:
    model: object  # an mlflow.pyfunc.PyFuncModel
    source: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None


def load(uri: str) -> Loaded:
    if uri.startswith(BENTO_PREFIX):
        return _from_bento(uri.removeprefix(BENTO_PREFIX))
    return _from_mlflow(uri)


def _from_mlflow(uri: str) -> Loaded:
    import mlflow
    from mlflow import MlflowClient

    name = version = run_id = None
    if match := ALIAS_URI.match(uri):
        # Resolve the alias once, so the version we report is the one we loaded even if
        # the alias moves while the artifacts download.
        name = match["name"]
        found = MlflowClient().get_model_version_by_alias(name, match["alias"])
        version, run_id = str(found.version), found.run_id
        uri = f"models:/{name}/{version}"
    elif match := VERSION_URI.match(uri):
        name, version = match["name"], match["version"]
        run_id = MlflowClient().get_model_version(name, version).run_id
    model = mlflow.pyfunc.load_model(uri)
    return Loaded(model, uri, name, version, run_id)


def _from_bento(tag: str) -> Loaded:
    import bentoml

    stored = bentoml.models.get(tag)
    labels = stored.info.labels
    return Loaded(
        bentoml.mlflow.load_model(stored),
        f"{BENTO_PREFIX}{stored.tag}",
        labels.get("registered_model"),
        labels.get("registered_version"),
        labels.get("run_id"),
    )
