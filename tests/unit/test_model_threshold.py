"""Choosing the decision threshold on validation scores: the lowest one at which the
neutral rows' false-positive rate meets the target, never below 0.5."""

import pytest

from model_service.training.data import Comment
from model_service.training.threshold import LOWEST, choose, is_neutral


def comment(text: str, label: int, category: str = "") -> Comment:
    return Comment(line=0, text=text, label=label, category=category)


LONG = "a long and ordinary message about the weather and the garden " * 2


def test_neutral_rows_are_short_ordinary_messages_and_polite_disagreement() -> None:
    assert is_neutral(comment("thanks!", 0))
    assert is_neutral(comment(LONG, 0, "polite_disagreement"))
    assert not is_neutral(comment(LONG, 0, "chat"))
    assert not is_neutral(comment("shut up", 1))


def test_the_lowest_threshold_meeting_the_target_is_chosen() -> None:
    # Ten neutral rows; with a target of 0.1 one of them may be flagged.
    neutral = [comment(f"msg {i}", 0) for i in range(10)]
    trolls = [comment(f"troll {i}", 1) for i in range(4)]
    neutral_scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.95]
    troll_scores = [0.99, 0.9, 0.75, 0.65]
    choice = choose(neutral_scores + troll_scores, neutral + trolls, target_fpr=0.1)
    # Just above the second-highest neutral score (0.8): only 0.95 stays flagged.
    assert 0.8 < choice.threshold < 0.8001
    assert (choice.neutral_rows, choice.neutral_fpr, choice.recall) == (10, 0.1, 0.5)
    stricter = choose(neutral_scores + troll_scores, neutral + trolls, target_fpr=0.0)
    assert stricter.threshold > 0.95 and stricter.neutral_fpr == 0.0
    assert stricter.recall == 0.25


def test_a_lax_target_never_puts_the_threshold_below_one_half() -> None:
    rows = [comment("ok", 0), comment("hi", 0), comment("go away", 1)]
    choice = choose([0.1, 0.3, 0.4], rows, target_fpr=0.5)
    assert choice.threshold == LOWEST
    assert choice.recall == 0.0


def test_long_label_0_rows_count_when_there_is_no_neutral_row() -> None:
    rows = [comment(LONG, 0, "chat"), comment(LONG + "!", 0, "chat"), comment("idiot", 1)]
    choice = choose([0.9, 0.2, 0.95], rows, target_fpr=0.0)
    assert choice.neutral_rows == 2
    assert choice.threshold == pytest.approx(0.9, abs=1e-6) and choice.threshold > 0.9
    assert choice.recall == 1.0
