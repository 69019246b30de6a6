"""The quality gate: may a candidate become the champion? Pure, so every branch is tested."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    passed: bool
    reason: str


def decide(
    candidate_f1: float,
    champion_f1: float | None,
    min_f1: float,
    max_drop: float,
    champion_version: str | None = None,
) -> Decision:
    """Both F1 scores must come from the same evaluation data."""
    if candidate_f1 < min_f1:
        return Decision(
            False,
            f"candidate F1 {candidate_f1:.4f} is below the floor {min_f1:.4f} (TROLL_GATE_MIN_F1)",
        )
    if champion_f1 is None:
        return Decision(
            True, f"candidate F1 {candidate_f1:.4f} meets the floor {min_f1:.4f}; no champion yet"
        )
    drop = champion_f1 - candidate_f1
    who = f"champion (version {champion_version})" if champion_version else "champion"
    if drop > max_drop:
        return Decision(
            False,
            f"candidate F1 {candidate_f1:.4f} is {drop:.4f} below the {who}'s {champion_f1:.4f} "
            f"on the same data; the allowed drop is {max_drop:.4f} (TROLL_GATE_MAX_DROP)",
        )
    return Decision(
        True,
        f"candidate F1 {candidate_f1:.4f} meets the floor {min_f1:.4f} and is within "
        f"{max_drop:.4f} of the {who}'s {champion_f1:.4f}",
    )
