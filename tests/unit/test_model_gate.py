"""The quality gate's decisions, each branch."""

from model_service.training.gate import decide


def test_below_the_floor_is_refused_even_without_a_champion() -> None:
    decision = decide(0.80, None, min_f1=0.85, max_drop=0.01)
    assert not decision.passed
    assert decision.reason == "candidate F1 0.8000 is below the floor 0.8500 (TROLL_GATE_MIN_F1)"


def test_first_model_above_the_floor_passes() -> None:
    decision = decide(0.90, None, min_f1=0.85, max_drop=0.01)
    assert decision.passed and "no champion yet" in decision.reason


def test_worse_than_the_champion_by_more_than_the_margin_is_refused() -> None:
    decision = decide(0.87, 0.90, min_f1=0.85, max_drop=0.01, champion_version="3")
    assert not decision.passed
    assert "0.0300 below the champion (version 3)'s 0.9000 on the same data" in decision.reason


def test_within_the_margin_or_better_passes() -> None:
    assert decide(0.895, 0.90, min_f1=0.85, max_drop=0.01).passed
    assert decide(0.95, 0.90, min_f1=0.85, max_drop=0.0).passed
    assert not decide(0.8999, 0.90, min_f1=0.85, max_drop=0.0).passed
