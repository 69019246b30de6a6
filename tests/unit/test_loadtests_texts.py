"""Request texts and scenarios, drawn from the real comments CSV."""

from random import Random

import pytest

from loadtests import scenarios
from loadtests.texts import TextPool

POOL = TextPool.load()


def test_every_scenario_sends_what_its_name_says() -> None:
    rng = Random(7)
    short = scenarios.SHORT.texts(POOL, rng)
    assert len(short) == 1 and short[0] in POOL.comments
    (long,) = scenarios.LONG.texts(POOL, rng)
    assert len(long) == scenarios.LONG_TEXT_CHARS
    batch = scenarios.BATCH.texts(POOL, rng)
    assert len(batch) == scenarios.SMALL_BATCH_SIZE
    assert all(text in POOL.comments for text in batch)


def test_mix_weights_cover_every_scenario() -> None:
    assert set(scenarios.MIX_WEIGHTS) == set(scenarios.NAMES)
    assert all(weight > 0 for weight in scenarios.MIX_WEIGHTS.values())


def test_empty_csv_is_refused(tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label,category\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no texts"):
        TextPool.load(path)


def test_expected_scenarios_follow_the_user_classes() -> None:
    assert scenarios.sent_by(("LongTexts",)) == ("long-text",)
    assert scenarios.sent_by(("SmallBatches", "ShortTexts")) == ("short-text", "batch-8")
    assert scenarios.sent_by(("ShortTexts", "RealisticMix")) == scenarios.NAMES
