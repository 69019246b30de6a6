"""Logging a training run to MLflow and registering its model."""

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

from model_service import registry
from model_service.model import saving
from model_service.settings import Settings
from model_service.training import slices, svm
from model_service.training.data import Comment
from model_service.training.evaluation import (
    confusion_matrix_figure,
    reliability_figure,
    roc_curve_figure,
)
from model_service.training.svm import PARAM_GRID, Trained

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Logged:
    run_id: str
    model_uri: str
    version: str | None


def dataset_digest(comments: list[Comment]) -> str:
    """sha256 over the rows actually used, so dropped rows change it."""
    digest = hashlib.sha256()
    for c in comments:
        digest.update(f"{c.label}\t{c.text}\n".encode())
    return digest.hexdigest()


def log_training(
    trained: Trained,
    *,
    settings: Settings,
    comments: list[Comment],
    train_rows: list[Comment],
    test_rows: list[Comment],
    train_sample: int | None,
    slice_results: list[dict],
    register: bool,
) -> Logged:
    digest = dataset_digest(comments)
    mlflow.set_experiment(settings.experiment)
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        log.info("MLflow run %s in experiment %s", run.info.run_id, settings.experiment)
        # Where the rows came from: the CSV, or the table (read through a snapshot file).
        mlflow.set_tags({"data_sha256": digest, "data_path": settings.data_source})
        if settings.training_request:
            mlflow.set_tag(registry.TRAINING_REQUEST_TAG, settings.training_request)
        frame = pd.DataFrame(
            {"text": [c.text for c in comments], "label": [c.label for c in comments]}
        )
        mlflow.log_input(
            mlflow.data.from_pandas(
                frame,
                source=str(settings.data),
                targets="label",
                name="comments",
                digest=digest[:32],  # MLflow allows 36 characters; the full digest is a tag
            ),
            context="training",
        )
        mlflow.log_params(
            {
                "embedding_model": settings.embedding_model,
                "encoder_backend": settings.encoder_backend,
                "classifier": f"SVC + {svm.CALIBRATION} calibration",
                "param_grid": json.dumps(PARAM_GRID),
                "test_percent": settings.test_percent,
                "seed": settings.seed,
                "rows": len(comments),
                "train_rows": len(train_rows) if train_sample is None else train_sample,
                "test_rows": len(test_rows),
                "train_sample": train_sample or "all",
                "threshold": trained.model.threshold,
                "target_neutral_fpr": settings.target_neutral_fpr,
                **{f"best_{k}": v for k, v in trained.best_params.items()},
            }
        )
        mlflow.log_metrics(trained.cv_metrics)
        mlflow.log_metrics({f"test_{k}": v for k, v in trained.test_metrics.items()})
        choice = trained.threshold
        mlflow.log_metrics(
            {
                "threshold": choice.threshold,
                "validation_neutral_fpr": choice.neutral_fpr,
                "validation_neutral_rows": float(choice.neutral_rows),
                "validation_recall": choice.recall,
            }
        )
        mlflow.log_metrics(slices.mlflow_metrics(slice_results))
        mlflow.log_dict({"threshold": choice.threshold, "slices": slice_results}, "slices.json")
        mlflow.log_figure(
            confusion_matrix_figure(trained.test_metrics, "held-out confusion matrix"),
            "plots/confusion_matrix.png",
        )
        mlflow.log_figure(
            roc_curve_figure(trained.test_labels, trained.test_scores, "held-out ROC"),
            "plots/roc_curve.png",
        )
        mlflow.log_figure(
            reliability_figure(
                {
                    "held-out": (trained.test_labels, trained.test_scores),
                    "out-of-fold": (trained.validation_labels, trained.validation_scores),
                },
                "reliability",
            ),
            "plots/reliability.png",
        )
        cv_path = Path(tmp) / "cv_results.csv"
        trained.cv_results.to_csv(cv_path, index=False)
        mlflow.log_artifact(str(cv_path), "cv")

        log.info("logging the model (%s encoder + SVM) to MLflow", settings.encoder_backend)
        info = saving.log_model(
            trained.model,
            Path(tmp),
            registered_model_name=settings.model_name if register else None,
            metadata={
                "embedding_model": settings.embedding_model,
                "encoder_backend": settings.encoder_backend,
                "data_sha256": digest,
            },
        )
    version = info.registered_model_version
    if version is not None:
        tag_version(settings, str(version), trained.test_metrics["f1"], digest)
    return Logged(run.info.run_id, info.model_uri, None if version is None else str(version))


def tag_version(settings: Settings, version: str, test_f1: float, digest: str) -> None:
    client = MlflowClient()
    for key, value in {
        "test_f1": f"{test_f1:.4f}",
        "data_sha256": digest,
        "validation_status": "pending",
    }.items():
        client.set_model_version_tag(settings.model_name, version, key, value)


def register_run(settings: Settings, run_id: str) -> str:
    """Register the model a run logged (for runs trained with --no-register)."""
    client = MlflowClient()
    run = client.get_run(run_id)
    models = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
        output_format="list",
    )
    if not models:
        raise LookupError(f"run {run_id} logged no model")
    version = mlflow.register_model(f"models:/{models[0].model_id}", settings.model_name)
    tag_version(
        settings,
        str(version.version),
        run.data.metrics.get("test_f1", float("nan")),
        run.data.tags.get("data_sha256", ""),
    )
    return str(version.version)
