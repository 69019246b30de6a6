"""Retraining: admins start a run; everyone signed in sees recent runs and their outcome
(the MLflow run, the gate's verdict, the promoted version)."""

import logging

import httpx
from fastapi import APIRouter, Request

from webapp import training
from webapp.training import Outcome, TrainingError
from webapp.web import Admin, SignedIn, back_to, flash, render, state

log = logging.getLogger(__name__)
router = APIRouter(prefix="/workbench/training")


def _outcome(request: Request, item: training.Request) -> Outcome:  # noqa: PLR0911
    app = state(request)
    if item.error:
        return Outcome("failed", f"could not start: {item.error}")
    found = None
    if app.mlflow:
        try:
            found = app.mlflow.outcome(item.id)
        except httpx.HTTPError as exc:
            return Outcome("unknown", f"MLflow did not answer ({exc})")
        except (ValueError, KeyError) as exc:  # an answer that is not MLflow's JSON
            return Outcome("unknown", f"MLflow's answer was not understood ({exc!r})")
    if found:
        return found
    # No MLflow run yet: the launcher says whether it is still on its way.
    launcher = app.launcher
    if launcher and item.launcher == app.settings.training_launcher:
        try:
            status = launcher.status(item.job if item.launcher == "kubernetes" else item.id)
        except TrainingError as exc:
            return Outcome("unknown", str(exc))
        if status == "failed":
            reason = launcher.failure(item.id) if item.launcher == "process" else f"Job {item.job}"
            return Outcome("failed", f"the training run failed: {reason}")
        if status == "succeeded":
            return Outcome("failed", "the run ended without an MLflow run for this request")
        if status == "unknown":
            return Outcome("unknown", "no MLflow run yet, and the app restarted since it began")
        if status == "gone":
            return Outcome("unknown", f"Job {item.job} is gone (the CronJob keeps a few)")
    return Outcome("starting", "starting: no MLflow run yet")


@router.get("")
def training_page(request: Request, user: SignedIn):
    app = state(request)
    requests = training.recent(app.pool)
    return render(
        request,
        "training.html",
        runs=[(item, _outcome(request, item)) for item in requests],
        can_start=app.launcher is not None,
    )


@router.post("")
def start(request: Request, user: Admin):
    app = state(request)
    if app.launcher is None:
        flash(
            request, "Retraining is not set up here (WEBAPP_TRAINING_LAUNCHER is empty).", "error"
        )
        return back_to("/workbench/training")
    # One run at a time: runs at once would race each other at the gate.
    going = [item for item in training.recent(app.pool, 1) if _outcome(request, item).going]
    if going:
        flash(request, f"Retraining {going[0].id} is still going on: wait for its outcome.")
        return back_to("/workbench/training")
    request_id, job, error = training.new_request_id(), "", ""
    try:
        job = app.launcher.start(request_id)
    except TrainingError as exc:
        error = str(exc)
        log.warning("retraining %s could not start: %s", request_id, error)
    training.record(
        app.pool,
        request_id,
        user=user.username,
        launcher=app.settings.training_launcher,
        job=job,
        error=error,
    )
    if error:
        flash(request, f"Retraining could not start: {error}", "error")
    else:
        flash(request, f"Retraining {request_id} started ({job}).")
    return back_to("/workbench/training")
