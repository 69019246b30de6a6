"""`build`: import a registered model into BentoML's store and build the Bento around it."""

import logging
from pathlib import Path

import yaml

from model_service import model_source
from model_service.settings import PACKAGE_DIR, Settings

log = logging.getLogger(__name__)
BENTOFILE = PACKAGE_DIR / "bentofile.yaml"
BUILD_CONTEXT = PACKAGE_DIR.parent


class BuildError(RuntimeError):
    pass


def build(settings: Settings, model_uri: str, platform: str | None = None) -> dict:
    import bentoml
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        name, version, run_id = _resolve(MlflowClient(), model_uri)
    except MlflowException as exc:
        raise BuildError(f"cannot resolve {model_uri}: {exc.message}") from None
    log.info("importing %s version %s into BentoML's model store", name, version)
    model = bentoml.mlflow.import_model(
        settings.model_name,
        f"models:/{name}/{version}",
        labels={"registered_model": name, "registered_version": version, "run_id": run_id},
    )
    config = yaml.safe_load(BENTOFILE.read_text())
    config["models"] = [str(model.tag)]
    config["envs"] = [e for e in config.get("envs", []) if e["name"] != "TROLL_MODEL_URI"] + [
        {"name": "TROLL_MODEL_URI", "value": f"{model_source.BENTO_PREFIX}{model.tag}"}
    ]
    if platform:
        config["python"] = {**config.get("python", {}), "lock_packages": True}
    log.info("building the Bento (service %s)", config["service"])
    bento = bentoml.bentos.build(
        **{k: v for k, v in config.items() if k != "service"},
        service=config["service"],
        build_ctx=str(BUILD_CONTEXT),
        platform=platform,
    )
    path = Path(bento.path)
    return {
        "bento": str(bento.tag),
        "path": str(path),
        "model": str(model.tag),
        "registered_model": name,
        "version": version,
        "size_mb": round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1),
    }


def _resolve(client, uri: str) -> tuple[str, str, str]:
    if match := model_source.ALIAS_URI.match(uri):
        found = client.get_model_version_by_alias(match["name"], match["alias"])
    elif match := model_source.VERSION_URI.match(uri):
        found = client.get_model_version(match["name"], match["version"])
    else:
        raise BuildError(f"expected models:/<name>@<alias> or models:/<name>/<version>, got {uri}")
    return found.name, str(found.version), found.run_id
