"""The evaluation slices: labelled comments kept apart from the training data, one file
per kind of message the held-out F1 hides (data/slices/, guide in data/LABELLING.md).

A neutral slice holds only label 0: what matters there is how many ordinary messages are
flagged (the false-positive rate). The others hold trolls, or both labels.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from model_service.training import data as data_module

SLICES_DIR = Path(__file__).resolve().parent.parent / "data" / "slices"
# The short slices' limit, and what counts as a short message in the training data.
SHORT_MAX_CHARS = 40


@dataclass(frozen=True)
class Slice:
    name: str
    description: str
    # Only label 0: scored by its false-positive rate.
    neutral: bool

    @property
    def path(self) -> Path:
        return SLICES_DIR / f"{self.name}.csv"


SLICES = (
    Slice("short_neutral", "chit-chat, thanks, greetings and questions of a few words", True),
    Slice("polite_disagreement", "civil disagreement and corrections", True),
    Slice("short_insults", "insults of a few words", False),
    Slice("sarcasm_baiting", "sarcastic put-downs and flamebait, and friendly sarcasm", False),
    Slice("long_comments", "comments of 150 to 300 characters, both labels", False),
)


def read_slice(piece: Slice, max_chars: int) -> list[data_module.Comment]:
    """The slice's rows; a bad row or a label a neutral slice must not hold is an error."""
    report = data_module.read_comments(piece.path, max_chars)
    problems = report.errors + [str(row) for row in report.bad_rows]
    if piece.neutral:
        problems += [
            f"line {c.line}: label {c.label} in the neutral slice {piece.name}"
            for c in report.comments
            if c.label != 0
        ]
    if problems:
        raise data_module.DataError(f"{piece.path}: " + "; ".join(problems))
    return report.comments


def slice_metrics(piece: Slice, labels: list[int], flagged: list[bool]) -> dict:
    """Rows, false-positive rate (on its label-0 rows), and precision and recall (when it
    holds trolls) of one slice, from the model's own verdicts; a rate without rows is None."""
    negatives = [f for f, label in zip(flagged, labels, strict=True) if label == 0]
    positives = [f for f, label in zip(flagged, labels, strict=True) if label == 1]
    true_flags = sum(positives)
    return {
        "slice": piece.name,
        "neutral": piece.neutral,
        "rows": len(labels),
        "false_positive_rate": sum(negatives) / len(negatives) if negatives else None,
        "recall": true_flags / len(positives) if positives else None,
        "precision": true_flags / sum(flagged) if positives and sum(flagged) else None,
    }


def evaluate(classify: Callable[[list[str]], list[bool]], max_chars: int) -> list[dict]:
    """slice_metrics of every slice; classify says, for each text, whether the model
    flags it as trolling at its own threshold."""
    results = []
    for piece in SLICES:
        comments = read_slice(piece, max_chars)
        flagged = classify([c.text for c in comments])
        results.append(slice_metrics(piece, [c.label for c in comments], list(flagged)))
    return results


def mlflow_metrics(results: list[dict]) -> dict[str, float]:
    """Flat names for MLflow, e.g. slice_short_neutral_false_positive_rate; rates a slice
    cannot have (recall without trolls) are left out."""
    return {
        f"slice_{row['slice']}_{name}": float(row[name])
        for row in results
        for name in ("false_positive_rate", "recall", "precision")
        if row[name] is not None
    }
