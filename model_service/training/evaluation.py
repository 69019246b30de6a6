"""Held-out metrics and their plots, computed the same way for training and the gate."""

import numpy as np
from sklearn import metrics


def classification_metrics(y_true, scores, threshold: float = 0.5) -> dict[str, float]:
    y_true = np.asarray(y_true)
    y_pred = (np.asarray(scores) >= threshold).astype(int)
    (tn, fp), (fn, tp) = metrics.confusion_matrix(y_true, y_pred, labels=[0, 1])
    result = {
        "f1": metrics.f1_score(y_true, y_pred, zero_division=0),
        "precision": metrics.precision_score(y_true, y_pred, zero_division=0),
        "recall": metrics.recall_score(y_true, y_pred, zero_division=0),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        # Mean squared gap between the probability and the label: lower is better, and it
        # rises when scores are over- or under-confident, whatever the threshold.
        "brier": metrics.brier_score_loss(y_true, scores, labels=[0, 1]),
        "true_negatives": tn,
        "false_positives": fp,
        "false_negatives": fn,
        "true_positives": tp,
    }
    if len(set(y_true.tolist())) == 2:  # undefined with one class
        result["roc_auc"] = metrics.roc_auc_score(y_true, scores)
    return {name: float(value) for name, value in result.items()}


def confusion_matrix_figure(result: dict[str, float], title: str):
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    cells = np.array(
        [
            [result["true_negatives"], result["false_positives"]],
            [result["false_negatives"], result["true_positives"]],
        ]
    )
    figure, axes = plt.subplots(figsize=(4.5, 4))
    metrics.ConfusionMatrixDisplay(cells.astype(int), display_labels=["not troll", "troll"]).plot(
        ax=axes, cmap="Blues", colorbar=False
    )
    axes.set_title(title)
    figure.tight_layout()
    return figure


def roc_curve_figure(y_true, scores, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.5, 4))
    metrics.RocCurveDisplay.from_predictions(y_true, scores, ax=axes, name="SVM")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def reliability_figure(curves: dict[str, tuple], title: str):
    """Reliability diagram: per score bin, the share of trolls against the mean score; a
    calibrated model follows the diagonal. curves maps a name to (y_true, scores)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay

    figure, axes = plt.subplots(figsize=(4.5, 4))
    for name, (y_true, scores) in curves.items():
        brier = metrics.brier_score_loss(y_true, scores, labels=[0, 1])
        CalibrationDisplay.from_predictions(
            y_true, scores, n_bins=10, ax=axes, name=f"{name} (Brier {brier:.3f})"
        )
    axes.set_title(title)
    figure.tight_layout()
    return figure
