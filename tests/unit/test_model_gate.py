"""The quality gate's decisions, each branch: the F1 floor, the neutral slices' ceiling,
and no step back from the champion, in ROC AUC or on any slice."""

import pytest

from model_service.training.gate import Evaluation, Limits, decide

LIMITS = Limits(min_f1=0.75, max_drop=0.01, max_neutral_fpr=0.1, max_slice_drop=0.1)


def rates(fpr: float | None, recall: float | None, neutral: bool = False) -> dict:
    return {"false_positive_rate": fpr, "recall": recall, "neutral": neutral}


def model(f1=0.8, roc_auc=0.95, short_neutral=0.0, polite=0.03, insults=0.9) -> Evaluation:
    return Evaluation(
        f1=f1,
        roc_auc=roc_auc,
        slices={
            "short_neutral": rates(short_neutral, None, neutral=True),
            "polite_disagreement": rates(polite, None, neutral=True),
            "short_insults": rates(None, insults),
        },
    )


def test_below_the_floor_is_refused_even_without_a_champion() -> None:
    decision = decide(model(f1=0.70), None, LIMITS)
    assert not decision.passed
    assert decision.reason == "candidate F1 0.7000 is below the floor 0.7500 (TROLL_GATE_MIN_F1)"


def test_a_first_model_that_flags_too_many_neutral_messages_is_refused_by_slice() -> None:
    decision = decide(model(short_neutral=0.125), None, LIMITS)
    assert not decision.passed
    assert decision.reason == (
        "slice short_neutral: false-positive rate 0.125 is above the ceiling 0.100 "
        "(TROLL_GATE_MAX_NEUTRAL_FPR)"
    )


def test_first_model_within_every_limit_passes() -> None:
    decision = decide(model(), None, LIMITS)
    assert decision.passed and "no champion yet" in decision.reason


def test_worse_than_the_champion_in_roc_auc_beyond_the_margin_is_refused() -> None:
    decision = decide(model(roc_auc=0.92), model(roc_auc=0.95), LIMITS, champion_version="3")
    assert not decision.passed
    assert decision.reason == (
        "candidate ROC AUC 0.9200 is 0.0300 below the champion (version 3)'s 0.9500 on the "
        "same data, more than the allowed 0.0100 (TROLL_GATE_MAX_DROP)"
    )


def test_better_overall_but_worse_on_a_neutral_slice_is_refused_naming_the_slice() -> None:
    champion = model(f1=0.80, roc_auc=0.93, polite=0.0)
    # Higher F1 and ROC AUC, and under the ceiling, but 3 of 36 polite messages flagged
    # where the champion flagged none.
    candidate = model(f1=0.86, roc_auc=0.96, polite=3 / 36)
    tight = Limits(min_f1=0.75, max_drop=0.01, max_neutral_fpr=0.1, max_slice_drop=0.05)
    decision = decide(candidate, champion, tight, champion_version="7")
    assert not decision.passed
    assert decision.reason == (
        "slice polite_disagreement: false-positive rate 0.083 against the champion "
        "(version 7)'s 0.000, worse by 0.083, more than the allowed 0.050 "
        "(TROLL_GATE_MAX_SLICE_DROP)"
    )


def test_a_recall_fall_on_a_troll_slice_is_refused_and_every_reason_is_listed() -> None:
    champion = model(insults=0.97)
    candidate = model(f1=0.70, insults=0.80, short_neutral=0.2)
    decision = decide(candidate, champion, LIMITS, champion_version="2")
    assert not decision.passed
    reasons = decision.reason.split("; ")
    assert reasons[0].startswith("candidate F1 0.7000 is below the floor")
    assert reasons[1].startswith("slice short_neutral: false-positive rate 0.200 is above")
    assert "slice short_neutral: false-positive rate 0.200 against" in reasons[2]
    assert reasons[3] == (
        "slice short_insults: recall 0.800 against the champion (version 2)'s 0.970, worse by "
        "0.170, more than the allowed 0.100 (TROLL_GATE_MAX_SLICE_DROP)"
    )
    assert len(reasons) == 4


@pytest.mark.parametrize(
    ("candidate", "passed"),
    [
        (model(roc_auc=0.945), True),  # within the ROC AUC margin
        (model(roc_auc=0.99, insults=0.81), True),  # recall 0.09 lower: within 0.1
        (model(roc_auc=0.99, insults=0.79), False),  # 0.11 lower
        (model(roc_auc=0.99, polite=0.1), True),  # at the ceiling, 0.07 above the champion
    ],
)
def test_within_the_margins_passes(candidate: Evaluation, passed: bool) -> None:
    decision = decide(candidate, model(), LIMITS, champion_version="1")
    assert decision.passed is passed, decision.reason
    if passed:
        assert "within 0.0100 of the champion (version 1)'s 0.9500" in decision.reason
