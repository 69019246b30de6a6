"""The model's names in the MLflow registry and the URIs that point at it: the one place
that spells them, and the one resolver of a registry URI to a model version."""

import re
from dataclasses import dataclass

MODEL_NAME = "troll-classifier"
CHAMPION_ALIAS = "champion"
# The run tag naming the web app's training request that started a run (webapp/training.py).
TRAINING_REQUEST_TAG = "training_request"
# A model baked into the Bento: `bento:<BentoML model tag>`.
BENTO_PREFIX = "bento:"
_ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/]+)$")
_VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


def alias_uri(name: str, alias: str) -> str:
    return f"models:/{name}@{alias}"


def version_uri(name: str, version: str | int) -> str:
    return f"models:/{name}/{version}"


CHAMPION_URI = alias_uri(MODEL_NAME, CHAMPION_ALIAS)


def is_alias(uri: str) -> bool:
    """Whether `uri` names a registry alias (which may move to another version)."""
    return _ALIAS_URI.match(uri) is not None


@dataclass(frozen=True)
class Version:
    name: str
    version: str
    run_id: str

    @property
    def uri(self) -> str:
        return version_uri(self.name, self.version)


def resolve(uri: str) -> Version | None:
    """The registered version that models:/<name>@<alias> or models:/<name>/<version> names,
    or None for any other URI (a local folder, runs:/...). An alias is read once, so callers
    that load `Version.uri` get the version they report even if the alias moves meanwhile.
    Raises MlflowException when the registry has no such model, alias or version."""
    from mlflow import MlflowClient

    if match := _ALIAS_URI.match(uri):
        found = MlflowClient().get_model_version_by_alias(match["name"], match["alias"])
    elif match := _VERSION_URI.match(uri):
        found = MlflowClient().get_model_version(match["name"], match["version"])
    else:
        return None
    return Version(found.name, str(found.version), found.run_id)
