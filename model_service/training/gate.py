"""The quality gate: may a candidate become the champion? Pure, so every branch is tested.

A candidate must clear an F1 floor on the held-out rows (at its own threshold), flag few
ordinary messages on every neutral slice, and not fall behind the champion: neither in
ROC AUC on the held-out rows nor on any slice. Against the champion the held-out rows are
compared by ROC AUC, which does not depend on the threshold: each model's threshold is
chosen for few false alarms, so F1 at two thresholds would reward the laxer one. How each
model behaves at its threshold is what the slices compare. Every reason to refuse is
named, with its numbers, in one verdict.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    passed: bool
    reason: str


@dataclass(frozen=True)
class Evaluation:
    """One model on the gate's data: F1 (at its threshold) and ROC AUC on the held-out
    rows, and slices.slice_metrics of each evaluation slice, keyed by slice name."""

    f1: float
    roc_auc: float
    slices: dict[str, dict]


@dataclass(frozen=True)
class Limits:
    min_f1: float
    # Largest fall in held-out ROC AUC against the champion.
    max_drop: float
    # Highest false-positive rate allowed on a neutral slice.
    max_neutral_fpr: float
    # Largest rise in a slice's false-positive rate, or fall in its recall, against the
    # champion.
    max_slice_drop: float


def decide(
    candidate: Evaluation,
    champion: Evaluation | None,
    limits: Limits,
    champion_version: str | None = None,
) -> Decision:
    """Both evaluations must come from the same data."""
    refusals = _floor_refusals(candidate, limits)
    if champion is not None:
        refusals += _champion_refusals(candidate, champion, limits, champion_version)
    if refusals:
        return Decision(False, "; ".join(refusals))
    summary = f"candidate F1 {candidate.f1:.4f} meets the floor {limits.min_f1:.4f}"
    summary += f" and no neutral slice is above {limits.max_neutral_fpr:.3f} false positives"
    if champion is None:
        return Decision(True, summary + "; no champion yet")
    who = _who(champion_version)
    return Decision(
        True,
        f"{summary}; ROC AUC {candidate.roc_auc:.4f} is within {limits.max_drop:.4f} of the "
        f"{who}'s {champion.roc_auc:.4f}, and every slice within {limits.max_slice_drop:.3f}",
    )


# How the verdict names each slice metric, the same wording as the ceiling's.
LABELS = {"false_positive_rate": "false-positive rate", "recall": "recall"}


def _who(champion_version: str | None) -> str:
    return f"champion (version {champion_version})" if champion_version else "champion"


def _floor_refusals(candidate: Evaluation, limits: Limits) -> list[str]:
    refusals = []
    if candidate.f1 < limits.min_f1:
        refusals.append(
            f"candidate F1 {candidate.f1:.4f} is below the floor {limits.min_f1:.4f} "
            "(TROLL_GATE_MIN_F1)"
        )
    for name, row in candidate.slices.items():
        fpr = row["false_positive_rate"]
        if row.get("neutral") and fpr is not None and fpr > limits.max_neutral_fpr:
            refusals.append(
                f"slice {name}: false-positive rate {fpr:.3f} is above the ceiling "
                f"{limits.max_neutral_fpr:.3f} (TROLL_GATE_MAX_NEUTRAL_FPR)"
            )
    return refusals


def _champion_refusals(
    candidate: Evaluation, champion: Evaluation, limits: Limits, champion_version: str | None
) -> list[str]:
    who = _who(champion_version)
    refusals = []
    drop = champion.roc_auc - candidate.roc_auc
    if drop > limits.max_drop:
        refusals.append(
            f"candidate ROC AUC {candidate.roc_auc:.4f} is {drop:.4f} below the {who}'s "
            f"{champion.roc_auc:.4f} on the same data, more than the allowed "
            f"{limits.max_drop:.4f} (TROLL_GATE_MAX_DROP)"
        )
    for name, row in candidate.slices.items():
        theirs = champion.slices.get(name)
        if theirs is None:  # a slice the champion was never scored on
            continue
        # (metric, how much worse the candidate is: a higher FPR or a lower recall)
        for metric, worse_by in (
            ("false_positive_rate", _diff(row, theirs, "false_positive_rate")),
            ("recall", _diff(theirs, row, "recall")),
        ):
            if worse_by is not None and worse_by > limits.max_slice_drop + 1e-9:
                refusals.append(
                    f"slice {name}: {LABELS[metric]} {row[metric]:.3f} against the "
                    f"{who}'s {theirs[metric]:.3f}, worse by {worse_by:.3f}, more than the "
                    f"allowed {limits.max_slice_drop:.3f} (TROLL_GATE_MAX_SLICE_DROP)"
                )
    return refusals


def _diff(high: dict, low: dict, metric: str) -> float | None:
    if high[metric] is None or low[metric] is None:
        return None
    return high[metric] - low[metric]
