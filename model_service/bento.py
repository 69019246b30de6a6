"""`build`: import a registered model into BentoML's store and build the Bento around it."""

import logging
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import yaml

from model_service import model_source
from model_service.settings import PACKAGE_DIR, Settings

log = logging.getLogger(__name__)
BENTOFILE = PACKAGE_DIR / "bentofile.yaml"
BUILD_CONTEXT = PACKAGE_DIR.parent


class BuildError(RuntimeError):
    pass


def _ensure_uv() -> None:
    """bentoml build runs `uv` and, failing that, tries to pip-install it (no pip here)."""
    if shutil.which("uv"):
        return
    tools = BUILD_CONTEXT / ".tools" / "bin"
    if not (tools / "uv").exists():
        raise BuildError("bentoml build needs `uv` on PATH: run ./toolchain/setup.sh")
    os.environ["PATH"] = f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"


def build(settings: Settings, model_uri: str, out: Path, platform: str | None = None) -> dict:
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
    _ensure_uv()
    config = yaml.safe_load(BENTOFILE.read_text())
    config["models"] = [str(model.tag)]
    config["envs"] = [e for e in config.get("envs", []) if e["name"] != "TROLL_MODEL_URI"] + [
        {"name": "TROLL_MODEL_URI", "value": f"{model_source.BENTO_PREFIX}{model.tag}"}
    ]
    if platform:
        config["python"] = {**config.get("python", {}), "lock_packages": True}
    log.info("building the Bento (service %s)", config["service"])
    # Through a bentofile, so this build and a plain `bentoml build` parse the same way.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=BUILD_CONTEXT) as bentofile:
        yaml.safe_dump(config, bentofile)
        bentofile.flush()
        bento = bentoml.bentos.build_bentofile(
            bentofile.name, build_ctx=str(BUILD_CONTEXT), platform=platform
        )
    path = _export(str(bento.tag), Path(out))
    return {
        "bento": str(bento.tag),
        "path": str(path),
        "model": str(model.tag),
        "registered_model": name,
        "version": version,
        "size_mb": round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1),
    }


def _export(tag: str, out: Path) -> Path:
    """A self-contained Bento folder (the store's copy lacks the model): the Docker build
    context, and servable with `bentoml serve <folder>`."""
    import bentoml

    out = out.resolve()  # `bentoml serve` takes a relative folder for a module name
    log.info("exporting %s with its model to %s", tag, out)
    with tempfile.TemporaryDirectory() as tmp:
        archive = bentoml.export_bento(tag, str(Path(tmp) / "bento.tar"), output_format="tar")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            tar.extractall(out, filter="data")
    return out


def _resolve(client, uri: str) -> tuple[str, str, str]:
    if match := model_source.ALIAS_URI.match(uri):
        found = client.get_model_version_by_alias(match["name"], match["alias"])
    elif match := model_source.VERSION_URI.match(uri):
        found = client.get_model_version(match["name"], match["version"])
    else:
        raise BuildError(f"expected models:/<name>@<alias> or models:/<name>/<version>, got {uri}")
    return found.name, str(found.version), found.run_id
