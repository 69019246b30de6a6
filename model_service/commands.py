"""The CLI verbs, one function each (cli.VERBS maps the names). Heavy libraries are imported
inside each verb, so `validate` stays fast."""

import argparse
import contextlib
import dataclasses
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from model_service import waiting
from model_service.errors import CommandError
from model_service.serving import SERVICE
from model_service.settings import Settings
from model_service.training import data as data_module
from model_service.training.split import split

log = logging.getLogger("model_service")


def _emit(result: dict, out: TextIO) -> None:
    print(json.dumps(result, indent=2, default=str), file=out)


@contextlib.contextmanager
def dataset_rows(settings: Settings) -> Iterator[Settings]:
    """The settings with `data` at the rows to use: the CSV itself, or, with a dataset
    URL, a snapshot of the table (filled from the CSV on first use), for as long as the
    verb runs."""
    if not settings.dataset_url:
        yield settings
        return
    from model_service.training import dataset_table

    with tempfile.TemporaryDirectory(prefix="troll-dataset-") as tmp:
        try:
            waiting.until_it_answers(
                settings.data_source,
                lambda: dataset_table.check_connection(settings.dataset_url),
                settings.dependency_wait_seconds,
            )
            taken = dataset_table.snapshot(
                settings.dataset_url,
                settings.data,
                Path(tmp) / f"{dataset_table.TABLE}.csv",
                settings.max_text_chars,
            )
        except dataset_table.DatasetTableError as exc:
            raise CommandError(str(exc)) from None
        where = settings.data_source
        if taken.filled_from:
            log.info("filled %s from %s", where, taken.filled_from)
        log.info("%d rows from %s", taken.rows, where)
        yield settings.replace(data=taken.path)


def _load_data(settings: Settings, drop_bad: bool) -> data_module.Report:
    try:
        report = data_module.load_comments(
            settings.data,
            settings.max_text_chars,
            settings.min_label_share,
            data_module.MIN_ROWS_PER_LABEL,
            drop_bad,
            source=settings.data_source,  # a table's rows are checked in their snapshot
        )
    except data_module.DataError as exc:
        raise CommandError(str(exc)) from None
    for bad in report.bad_rows:
        log.warning("dropped %s: %s", settings.data_source, bad)
    for warning in report.warnings:
        log.warning("%s: %s", settings.data_source, warning)
    return report


def _limit_threads(settings: Settings) -> None:
    """The encoder threads the service would use, for the verbs that embed in-process."""
    from model_service.serving import runtime

    runtime.limit_threads(runtime.threads_per_worker(1, settings.encoder_threads))


def _tracking_preflight(settings: Settings) -> None:
    """Fail before the slow part when the tracking server cannot be reached."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = mlflow.get_tracking_uri()
    log.info("MLflow tracking: %s", uri)
    try:
        waiting.until_it_answers(
            f"MLflow at {uri}",
            lambda: mlflow.MlflowClient().search_experiments(max_results=1),
            settings.dependency_wait_seconds,
        )
    except MlflowException as exc:
        raise CommandError(f"cannot reach MLflow at {uri}: {exc.message}") from None


def validate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    report = data_module.read_comments(settings.data, settings.max_text_chars)
    errors = list(report.errors)
    if not errors:
        errors += data_module.balance_errors(
            report, settings.min_label_share, data_module.MIN_ROWS_PER_LABEL
        )
    counts = report.label_counts()
    print(
        f"{settings.data_source}: {len(report.comments)} usable rows "
        f"(label 0: {counts[0]}, label 1: {counts[1]}), {len(report.bad_rows)} bad",
        file=out,
    )
    for bad in report.bad_rows:
        print(f"  bad row, {bad}", file=out)
    for warning in report.warnings:
        print(f"  warning, {warning}", file=out)
    for error in errors:
        print(f"  error, {error}", file=out)
    if args.write_clean and not errors:
        data_module.write_comments(report.comments, args.write_clean)
        print(f"wrote {len(report.comments)} rows to {args.write_clean}", file=out)
    if errors or (report.bad_rows and not args.drop_bad):
        hint = "" if errors else " (pass --drop-bad to accept the file without them)"
        print(f"invalid{hint}", file=out)
        return 1
    print(
        "valid" + (f" after dropping {len(report.bad_rows)} rows" if report.bad_rows else ""),
        file=out,
    )
    return 0


def train(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from model_service.model import onnx_export
    from model_service.model.pyfunc import ENCODER_BACKENDS
    from model_service.training import embedding, svm, tracking

    if settings.encoder_backend not in ENCODER_BACKENDS:
        raise CommandError(
            f"encoder backend (TROLL_ENCODER_BACKEND or --encoder-backend) must be one of "
            f"{', '.join(ENCODER_BACKENDS)}, got {settings.encoder_backend!r}"
        )
    _limit_threads(settings)
    report = _load_data(settings, args.drop_bad)
    train_rows, test_rows = split(report.comments, settings.test_percent)
    log.info(
        "%d rows: %d to train, %d held out", len(report.comments), len(train_rows), len(test_rows)
    )
    _tracking_preflight(settings)
    with tempfile.TemporaryDirectory(prefix="troll-train-") as workdir:
        try:
            trained = svm.train(
                train_rows,
                test_rows,
                embedding_model=settings.embedding_model,
                encoder_backend=settings.encoder_backend,
                workdir=Path(workdir),
                cv_folds=settings.cv_folds,
                seed=settings.seed,
                target_neutral_fpr=settings.target_neutral_fpr,
                train_sample=args.train_sample,
            )
            slice_results = _evaluate_slices(trained.model, settings)
        except (embedding.EmbeddingModelError, onnx_export.ExportError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        log.info(
            "best %s; held-out %s",
            trained.best_params,
            ", ".join(f"{k} {v:.4f}" for k, v in trained.test_metrics.items()),
        )
        logged = tracking.log_training(
            trained,
            settings=settings,
            comments=report.comments,
            train_rows=train_rows,
            test_rows=test_rows,
            train_sample=args.train_sample,
            slice_results=slice_results,
            register=not args.no_register,
        )
    if logged.version:
        log.info("registered %s version %s", settings.model_name, logged.version)
    _emit(
        {
            "run_id": logged.run_id,
            "model_uri": logged.model_uri,
            "registered_model": settings.model_name if logged.version else None,
            "version": logged.version,
            "best_params": trained.best_params,
            "cv": trained.cv_metrics,
            "test": trained.test_metrics,
            "threshold": dataclasses.asdict(trained.threshold),
            "slices": slice_results,
        },
        out,
    )
    return 0


def _evaluate_slices(model, settings: Settings) -> list[dict]:
    """A model being trained (in process, not yet logged) on every evaluation slice."""
    from model_service.training import slices

    def classify(texts: list[str]) -> list[bool]:
        return (model.score_embeddings(model.embed(texts)) >= model.threshold).tolist()

    results = slices.evaluate(classify, settings.max_text_chars)
    for row in results:
        log.info("slice %s", row)
    return results


def register(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from mlflow.exceptions import MlflowException

    from model_service.training import tracking

    try:
        version = tracking.register_run(settings, args.run_id)
    except (LookupError, MlflowException) as exc:
        raise CommandError(str(exc)) from None
    log.info("registered %s version %s", settings.model_name, version)
    _emit({"registered_model": settings.model_name, "version": version}, out)
    return 0


def promote(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from mlflow.exceptions import MlflowException

    from model_service.training import promotion

    _limit_threads(settings)
    report = _load_data(settings, args.drop_bad)
    _, held_out = split(report.comments, settings.test_percent)
    _tracking_preflight(settings)
    try:
        outcome = promotion.promote(settings, str(args.version) if args.version else None, held_out)
    except (LookupError, MlflowException, data_module.DataError) as exc:
        raise CommandError(str(exc)) from None
    _emit(
        {
            "registered_model": settings.model_name,
            "version": outcome.version,
            "promoted": outcome.decision.passed,
            "reason": outcome.decision.reason,
            "candidate": dataclasses.asdict(outcome.candidate) if outcome.candidate else None,
            "champion_version": outcome.champion_version,
            "champion": dataclasses.asdict(outcome.champion) if outcome.champion else None,
        },
        out,
    )
    if not outcome.decision.passed:
        print(
            f"model_service promote: refused version {outcome.version}: "
            f"{outcome.decision.reason}; the {settings.alias} alias did not move",
            file=sys.stderr,
        )
        return 1
    log.info("version %s is the %s: %s", outcome.version, settings.alias, outcome.decision.reason)
    return 0


def retrain(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Train, register and gate one candidate. A candidate the gate refuses is an outcome,
    not a failure: exit 0 with the champion untouched. Only an error exits non-zero, with
    its one-line reason (the first-champion job and the continuous-training CronJob)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from model_service.training import promotion

    if args.unless_champion:
        _tracking_preflight(settings)
        try:
            current = promotion.champion_version(MlflowClient(), settings)
        except MlflowException as exc:
            raise CommandError(str(exc)) from None
        if current:
            log.info("version %s is the %s already: nothing to train", current, settings.alias)
            _emit({"skipped": f"version {current} is the {settings.alias}"}, out)
            return 0
    trained, promoted = io.StringIO(), io.StringIO()
    train_args = argparse.Namespace(drop_bad=args.drop_bad, train_sample=None, no_register=False)
    train(train_args, settings, trained)
    version = json.loads(trained.getvalue())["version"]
    promote(argparse.Namespace(drop_bad=args.drop_bad, version=version), settings, promoted)
    _emit({"trained": json.loads(trained.getvalue()), "gate": json.loads(promoted.getvalue())}, out)
    return 0


def evaluate_slices(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Score a model on every evaluation slice at its own threshold: how many ordinary
    messages it flags, and how many trolls it catches, per kind of message."""
    from mlflow.exceptions import MlflowException

    from model_service.model.loading import load_logged_model
    from model_service.training import slices
    from model_service.training.promotion import classifier_of

    _limit_threads(settings)
    try:  # a bad slice row is named before the model loads
        for piece in slices.SLICES:
            slices.read_slice(piece, settings.max_text_chars)
    except data_module.DataError as exc:
        raise CommandError(str(exc)) from None
    uri = args.model_uri or settings.model_uri
    if uri.startswith(("models:/", "runs:/")):  # a local model folder needs no server
        _tracking_preflight(settings)
    try:
        model = load_logged_model(uri)
    except (MlflowException, OSError) as exc:
        raise CommandError(f"cannot load {uri}: {exc}") from None
    results = slices.evaluate(classifier_of(model), settings.max_text_chars)
    for row in results:
        log.info("slice %s", row)
    threshold = model.unwrap_python_model().threshold
    _emit({"model_uri": uri, "threshold": threshold, "slices": results}, out)
    return 0


def export_encoder(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Write the embedding model's ONNX export: the folder the training image trains with
    (TROLL_EMBEDDING_MODEL), so training there needs no torch."""
    from model_service.model import onnx_export
    from model_service.model.pyfunc import ENCODER_BACKENDS
    from model_service.training import embedding

    onnx_backends = ENCODER_BACKENDS[1:]
    if settings.encoder_backend not in onnx_backends:
        raise CommandError(
            f"export-encoder writes an ONNX encoder: the backend must be one of "
            f"{', '.join(onnx_backends)}, got {settings.encoder_backend!r}"
        )
    if args.out.exists() and any(args.out.iterdir()):
        raise CommandError(f"{args.out} is not empty: export-encoder writes into a new folder")
    try:
        encoder = onnx_export.export(
            embedding.load(settings.embedding_model), args.out, settings.encoder_backend
        )
    except (embedding.EmbeddingModelError, onnx_export.ExportError) as exc:
        raise CommandError(str(exc)) from None
    size = sum(f.stat().st_size for f in args.out.iterdir() if f.is_file())
    _emit(
        {
            "path": str(args.out),
            "embedding_model": settings.embedding_model,
            "backend": encoder.backend,
            "dimension": encoder.dimension,
            "size_mb": round(size / 1e6, 1),
        },
        out,
    )
    return 0


def build(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from model_service import bento

    uri = args.model_uri or settings.champion_uri
    try:
        result = bento.build(settings, uri, args.out, args.platform)
    except bento.BuildError as exc:
        raise CommandError(str(exc)) from None
    _emit(result, out)
    return 0


def serve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    env = {**os.environ, "TROLL_MODEL_URI": settings.model_uri}
    argv = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        SERVICE,
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    log.info("serving %s on http://%s:%d", settings.model_uri, args.host, args.port)
    return subprocess.call(argv, env=env)
