"""Saving the model to MLflow: pyfunc.py as the model's code (MLflow runs it on load), the
parts that TrollModel.save_artifacts writes and load_context reads, its signature and what
loading it needs installed."""

from importlib import metadata
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from model_service.model import pyfunc

MODEL_ARTIFACT = "model"
# What loading the logged model needs: no MLflow server, plotting or database driver; with
# an ONNX encoder no torch, sentence-transformers or transformers either.
COMMON_SERVING_PACKAGES = ("mlflow-skinny", "scikit-learn", "numpy", "pandas")
ENCODER_PACKAGES = {
    "torch": ("sentence-transformers", "transformers", "torch"),
    "onnx": ("onnxruntime", "tokenizers"),
    "onnx-int8": ("onnxruntime", "tokenizers"),
}
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "text")]),
    outputs=Schema([ColSpec("string", "label"), ColSpec("double", "score")]),
)
INPUT_EXAMPLE = pd.DataFrame(
    {"text": ["Thanks, that fixed it!", "Nobody asked for your opinion, genius."]}
)


def serving_requirements(encoder_backend: str) -> list[str]:
    names = (*COMMON_SERVING_PACKAGES, *ENCODER_PACKAGES[encoder_backend])
    return [f"{name}=={metadata.version(name)}" for name in names]


def log_model(
    model: pyfunc.TrollModel,
    workdir: Path,
    *,
    registered_model_name: str | None,
    metadata: dict[str, str],
):
    """Log the model in the active run (and register it when a name is given); workdir
    holds the parts until MLflow has copied them. Returns MLflow's ModelInfo."""
    return mlflow.pyfunc.log_model(
        name=MODEL_ARTIFACT,
        python_model=pyfunc.__file__,
        artifacts=model.save_artifacts(workdir),
        signature=SIGNATURE,
        input_example=INPUT_EXAMPLE,
        pip_requirements=serving_requirements(model.encoder.backend),
        registered_model_name=registered_model_name,
        metadata=metadata,
    )
