"""The evaluation slices: labelled comments kept apart from the training data, one file
per kind of message the held-out F1 hides (data/slices/, guide in data/LABELLING.md).

A neutral slice holds only label 0: what matters there is how many ordinary messages are
flagged (the false-positive rate). The others hold trolls, or both labels.
"""

from dataclasses import dataclass
from pathlib import Path

from model_service.training import data as data_module

SLICES_DIR = Path(__file__).resolve().parent.parent / "data" / "slices"


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


def slice_metrics(piece: Slice, labels: list[int], scores, threshold: float = 0.5) -> dict:
    """Rows, false-positive rate (on its label-0 rows), and precision and recall (when it
    holds trolls) of one slice at the decision threshold; a rate without rows is None."""
    flagged = [score >= threshold for score in scores]
    negatives = [f for f, label in zip(flagged, labels, strict=True) if label == 0]
    positives = [f for f, label in zip(flagged, labels, strict=True) if label == 1]
    true_flags = sum(positives)
    return {
        "slice": piece.name,
        "rows": len(labels),
        "false_positive_rate": sum(negatives) / len(negatives) if negatives else None,
        "recall": true_flags / len(positives) if positives else None,
        "precision": true_flags / sum(flagged) if positives and sum(flagged) else None,
    }
