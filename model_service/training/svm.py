"""Fit the calibrated SVM on sentence embeddings: stratified-CV grid search, the decision
threshold chosen on out-of-fold scores, then held-out evaluation."""

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.svm import SVC

from model_service.model.pyfunc import TrollModel
from model_service.training import embedding, threshold
from model_service.training.data import Comment
from model_service.training.evaluation import classification_metrics

log = logging.getLogger(__name__)

# Small on purpose: a few seconds on 2 cores. Calibration turns SVM margins into the
# probability the service returns as `score` (sklearn >= 1.9 deprecates SVC(probability)).
# Platt's sigmoid, fitted on cross-validation folds: each fold calibrates on about 230
# rows here, and isotonic regression overfits below about a thousand (scikit-learn's
# guide); on the bundled data both reach the same CV Brier score, 0.081.
CALIBRATION = "sigmoid"
PARAM_GRID = {
    "estimator__C": [1.0, 3.0, 10.0],
    "estimator__kernel": ["linear", "rbf"],
}
SCORING = {
    "brier": "neg_brier_score",
    "roc_auc": "roc_auc",
    "f1": "f1",
    "precision": "precision",
    "recall": "recall",
}
# The threshold is chosen after the search, so the best candidate is the one whose
# probabilities are best (the Brier score), not the best at any one threshold.
REFIT = "brier"


@dataclass
class Trained:
    model: TrollModel
    best_params: dict
    cv_results: pd.DataFrame
    cv_metrics: dict[str, float]
    test_metrics: dict[str, float]
    test_labels: np.ndarray
    test_scores: np.ndarray
    threshold: threshold.Choice
    # Out-of-fold scores of the training rows: what the threshold was chosen on.
    validation_labels: np.ndarray
    validation_scores: np.ndarray


def train(
    train_rows: list[Comment],
    test_rows: list[Comment],
    *,
    embedding_model: str,
    encoder_backend: str,
    workdir: Path,
    cv_folds: int,
    seed: int,
    target_neutral_fpr: float,
    train_sample: int | None = None,
) -> Trained:
    """workdir holds the exported encoder until it is logged."""
    if train_sample is not None:
        # A deliberately smaller model, e.g. to see the gate refuse it; balanced per label.
        train_rows = _sample(train_rows, train_sample, seed)
    y_train = np.array([c.label for c in train_rows])
    y_test = np.array([c.label for c in test_rows])
    folds = min(cv_folds, int(np.bincount(y_train, minlength=2).min()))
    if folds < 2:
        raise ValueError(f"each label needs at least 2 training rows; got {np.bincount(y_train)}")

    log.info("loading embedding model %s (%s encoder)", embedding_model, encoder_backend)
    model = TrollModel(encoder=embedding.load_encoder(embedding_model, encoder_backend, workdir))
    log.info("embedding %d training and %d held-out comments", len(train_rows), len(test_rows))
    x_train = model.embed([c.text for c in train_rows], progress=True)
    x_test = model.embed([c.text for c in test_rows], progress=True)

    search = grid_search(x_train, y_train, folds, seed)
    model.classifier = search.best_estimator_
    index = search.best_index_
    cv_metrics = {
        f"cv_{name}_{stat}": float(search.cv_results_[f"{stat}_test_{name}"][index])
        for name in SCORING
        for stat in ("mean", "std")
    }
    cv_metrics["cv_brier_mean"] = -cv_metrics["cv_brier_mean"]  # sklearn negates losses

    log.info("out-of-fold scores of the best candidate, to choose the threshold on")
    validation_scores = cross_val_predict(
        search.best_estimator_,
        x_train,
        y_train,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        method="predict_proba",
    )[:, 1]
    choice = threshold.choose(validation_scores, train_rows, target_neutral_fpr)
    model.threshold = choice.threshold
    log.info(
        "threshold %.4f: %.3f of %d neutral validation rows flagged (target %.3f), recall %.3f",
        choice.threshold,
        choice.neutral_fpr,
        choice.neutral_rows,
        target_neutral_fpr,
        choice.recall,
    )
    test_scores = model.score_embeddings(x_test)
    return Trained(
        model=model,
        best_params={k.removeprefix("estimator__"): v for k, v in search.best_params_.items()},
        cv_results=pd.DataFrame(search.cv_results_).drop(columns=["params"]),
        cv_metrics=cv_metrics | {"cv_folds": float(folds)},
        test_metrics=classification_metrics(y_test, test_scores, model.threshold),
        test_labels=y_test,
        test_scores=test_scores,
        threshold=choice,
        validation_labels=y_train,
        validation_scores=validation_scores,
    )


def grid_search(x_train: np.ndarray, y_train: np.ndarray, folds: int, seed: int) -> GridSearchCV:
    search = GridSearchCV(
        CalibratedClassifierCV(
            SVC(random_state=seed), method=CALIBRATION, ensemble=False, cv=min(folds, 5)
        ),
        PARAM_GRID,
        scoring=SCORING,
        refit=REFIT,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        verbose=1,
    )
    log.info("grid search: %d candidates x %d folds", _grid_size(), folds)
    return search.fit(x_train, y_train)


def _grid_size() -> int:
    return int(np.prod([len(v) for v in PARAM_GRID.values()]))


def _sample(rows: list[Comment], size: int, seed: int) -> list[Comment]:
    rng = random.Random(seed)
    per_label = max(2, size // 2)
    picked = []
    for label in (0, 1):
        pool = [c for c in rows if c.label == label]
        picked += rng.sample(pool, min(per_label, len(pool)))
    return picked
