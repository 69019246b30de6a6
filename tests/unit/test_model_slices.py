"""The evaluation slices as data: valid rows, the labels each slice promises, short ones
short, long ones long, and nothing shared with the training data (they measure what
training has not seen)."""

import pytest

from model_service.settings import DEFAULT_DATA
from model_service.training import data as data_module
from model_service.training.slices import (
    SHORT_MAX_CHARS,
    SLICES,
    Slice,
    evaluate,
    mlflow_metrics,
    read_slice,
    slice_metrics,
)

MAX_CHARS = 300
SHORT = SHORT_MAX_CHARS
BY_NAME = {s.name: s for s in SLICES}


@pytest.mark.parametrize("piece", SLICES, ids=lambda s: s.name)
def test_every_slice_reads_without_a_bad_row(piece: Slice) -> None:
    rows = read_slice(piece, MAX_CHARS)
    assert len(rows) >= 20, f"{piece.name} has {len(rows)} rows: too few to measure a rate"


@pytest.mark.parametrize("piece", SLICES, ids=lambda s: s.name)
def test_no_slice_text_is_in_the_training_data(piece: Slice) -> None:
    training = {
        data_module.normalize(c.text)
        for c in data_module.read_comments(DEFAULT_DATA, MAX_CHARS).comments
    }
    shared = [
        c.text for c in read_slice(piece, MAX_CHARS) if data_module.normalize(c.text) in training
    ]
    assert not shared, f"{piece.name} shares rows with the training data: {shared}"


def test_each_slice_holds_the_labels_and_lengths_it_is_for() -> None:
    def labels(name: str) -> set[int]:
        return {c.label for c in read_slice(BY_NAME[name], MAX_CHARS)}

    assert labels("short_neutral") == labels("polite_disagreement") == {0}
    assert labels("short_insults") == {1}
    assert labels("sarcasm_baiting") == labels("long_comments") == {0, 1}
    for name in ("short_neutral", "short_insults"):
        too_long = [c.text for c in read_slice(BY_NAME[name], MAX_CHARS) if len(c.text) > SHORT]
        assert not too_long, f"{name}: longer than {SHORT} characters: {too_long}"
    too_short = [
        c.text for c in read_slice(BY_NAME["long_comments"], MAX_CHARS) if len(c.text) < 150
    ]
    assert not too_short, too_short


def test_a_troll_in_a_neutral_slice_is_refused_by_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("model_service.training.slices.SLICES_DIR", tmp_path)
    (tmp_path / "short_neutral.csv").write_text("text,label\nthanks,0\nshut up idiot,1\n")
    with pytest.raises(data_module.DataError, match="line 3: label 1 in the neutral slice"):
        read_slice(BY_NAME["short_neutral"], MAX_CHARS)


def test_slice_metrics_count_flags_on_ordinary_messages_and_catches_of_trolls() -> None:
    mixed = BY_NAME["sarcasm_baiting"]
    # Two ordinary messages (one flagged), three trolls (two caught).
    result = slice_metrics(mixed, [0, 0, 1, 1, 1], [True, False, True, True, False])
    assert result == {
        "slice": "sarcasm_baiting",
        "neutral": False,
        "rows": 5,
        "false_positive_rate": 0.5,
        "recall": 2 / 3,
        "precision": 2 / 3,
    }
    neutral = slice_metrics(BY_NAME["short_neutral"], [0, 0, 0, 0], [True, False, False, False])
    assert (neutral["false_positive_rate"], neutral["recall"], neutral["precision"]) == (
        0.25,
        None,
        None,
    )


def test_every_slice_is_evaluated_with_the_models_own_verdicts() -> None:
    # A "model" that flags texts with an exclamation mark or "idiot": a known answer.
    def classify(texts: list[str]) -> list[bool]:
        return ["!" in text or "idiot" in text for text in texts]

    results = evaluate(classify, MAX_CHARS)
    assert [row["slice"] for row in results] == [piece.name for piece in SLICES]
    short_neutral = read_slice(BY_NAME["short_neutral"], MAX_CHARS)
    expected = sum("!" in c.text for c in short_neutral) / len(short_neutral)
    assert results[0]["false_positive_rate"] == expected > 0
    flat = mlflow_metrics(results)
    assert flat["slice_short_neutral_false_positive_rate"] == expected
    assert "slice_short_neutral_recall" not in flat  # a neutral slice has no trolls
    assert set(flat) >= {"slice_short_insults_recall", "slice_long_comments_recall"}
