"""The /classify response check: a 200 with the wrong shape must count as a failure."""

import pytest

from loadtests.contract import shape_error

GOOD = {"label": "troll", "score": 0.93}


@pytest.mark.parametrize(
    "body",
    [
        [GOOD, {"label": 0, "score": 1}],
        {"results": [GOOD, GOOD]},
        {"predictions": [GOOD, {"label": "ok", "score": -2.5}]},
    ],
    ids=["plain list, int label and score", "results wrapper", "predictions wrapper"],
)
def test_accepted_shapes(body) -> None:
    assert shape_error(body, sent=2) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"label": "ok", "score": 0.1}, "expected a list of predictions"),
        (None, "got null"),
        ("ok", "got str"),
        ([GOOD], "expected 2 predictions, got 1"),
        ([GOOD, "troll"], "prediction 1: expected an object, got str"),
        ([GOOD, {"score": 0.5}], "prediction 1: 'label' missing"),
        ([GOOD, {"label": None, "score": 0.5}], "prediction 1: 'label' missing"),
        ([GOOD, {"label": ["troll"], "score": 0.5}], "not a scalar"),
        ([GOOD, {"label": "ok"}], "prediction 1: 'score' missing"),
        ([GOOD, {"label": "ok", "score": "0.5"}], "not a finite number"),
        ([GOOD, {"label": "ok", "score": True}], "not a finite number"),
        ([GOOD, {"label": "ok", "score": float("nan")}], "not a finite number"),
    ],
)
def test_rejected_shapes_say_why(body, reason: str) -> None:
    error = shape_error(body, sent=2)
    assert error is not None and reason in error
