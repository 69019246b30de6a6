"""The decision threshold, chosen on validation scores for a stated target: at most
`target_fpr` of the validation's neutral messages flagged, at the best recall.

The neutral messages are those the neutral evaluation slices hold, found in the training
rows: short label-0 messages and polite disagreement. The slices themselves are never
used to choose, so they stay an honest measurement.
"""

from dataclasses import dataclass

import numpy as np

from model_service.training.data import Comment
from model_service.training.slices import SHORT_MAX_CHARS

NEUTRAL_CATEGORIES = ("polite_disagreement",)
# A comment is labelled troll only when its calibrated probability says trolling is at
# least as likely as not, even where a lower threshold would still meet the target.
LOWEST = 0.5


@dataclass(frozen=True)
class Choice:
    threshold: float
    neutral_rows: int
    # Measured on the validation scores at the chosen threshold.
    neutral_fpr: float
    recall: float


def is_neutral(comment: Comment) -> bool:
    return comment.label == 0 and (
        len(comment.text) <= SHORT_MAX_CHARS or comment.category in NEUTRAL_CATEGORIES
    )


def choose(scores, comments: list[Comment], target_fpr: float) -> Choice:
    """The lowest threshold (hence the best recall) at which the neutral rows' false-
    positive rate is at most target_fpr. Without neutral rows every label-0 row counts."""
    scores = np.asarray(scores, dtype=float)
    labels = np.array([c.label for c in comments])
    neutral = np.array([is_neutral(c) for c in comments], dtype=bool)
    if not neutral.any():
        neutral = labels == 0
    neutral_scores = np.sort(scores[neutral])
    # Flagging needs score >= threshold; allowing k flags puts the threshold just above
    # the (k+1)-th highest neutral score.
    allowed = int(np.floor(target_fpr * len(neutral_scores) + 1e-9))
    if allowed >= len(neutral_scores):
        threshold = LOWEST
    else:
        threshold = max(LOWEST, float(np.nextafter(neutral_scores[-(allowed + 1)], np.inf)))
    positives = scores[labels == 1]
    return Choice(
        threshold=threshold,
        neutral_rows=int(neutral.sum()),
        neutral_fpr=float((neutral_scores >= threshold).mean()),
        recall=float((positives >= threshold).mean()) if len(positives) else float("nan"),
    )
