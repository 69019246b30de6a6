"""`build`: import a registered model into BentoML's store and build the Bento around it.

Packaging sits at the package root beside the files it reads (bentofile.yaml, Dockerfile,
requirements-serving.txt): it joins a registered model to the serving code and is part of
neither job, and it stays out of the Bento it builds."""

import logging
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import yaml

from model_service import registry
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
    from mlflow.exceptions import MlflowException

    try:
        registered = registry.resolve(model_uri)
    except MlflowException as exc:
        raise BuildError(f"cannot resolve {model_uri}: {exc.message}") from None
    if registered is None:
        raise BuildError(
            f"expected models:/<name>@<alias> or models:/<name>/<version>, got {model_uri}"
        )
    log.info(
        "importing %s version %s into BentoML's model store", registered.name, registered.version
    )
    model = bentoml.mlflow.import_model(
        settings.model_name,
        registered.uri,
        labels={
            "registered_model": registered.name,
            "registered_version": registered.version,
            "run_id": registered.run_id,
        },
    )
    _ensure_uv()
    config = yaml.safe_load(BENTOFILE.read_text())
    config["models"] = [str(model.tag)]
    config["envs"] = [e for e in config.get("envs", []) if e["name"] != "TROLL_MODEL_URI"] + [
        {"name": "TROLL_MODEL_URI", "value": f"{registry.BENTO_PREFIX}{model.tag}"}
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
        "registered_model": registered.name,
        "version": registered.version,
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
