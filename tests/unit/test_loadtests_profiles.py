"""Load profiles: the checked-in files parse, and a bad file fails naming the key."""

import copy
import dataclasses

import pytest
import yaml
from pydantic import ValidationError

from loadtests import profiles

VALID = {
    "load": {
        "users": 2,
        "spawn_rate": 2,
        "run_time": "5s",
        "user_rate": 0,
        "user_classes": ["ShortTexts"],
    },
    "thresholds": {
        "max_failure_ratio": 0,
        "max_p95_ms": None,
        "min_rps": 1.5,
        "min_requests_per_scenario": 3,
    },
}


def test_checked_in_profiles_parse() -> None:
    assert {"smoke", "ci", "prod"} <= set(profiles.names())
    for name in profiles.names():
        profile = profiles.load(profiles.path_of(name))
        assert profile.name == name
        assert profiles.seconds(profile.load.run_time) > 0


def test_smoke_is_machine_speed_independent() -> None:
    smoke = profiles.load(profiles.path_of("smoke")).thresholds
    assert smoke.max_failure_ratio == 0
    assert smoke.max_p95_ms is None and smoke.min_rps is None
    assert smoke.min_requests_per_scenario >= 1


def test_valid_profile_values() -> None:
    profile = profiles.parse("custom", VALID)
    assert profile.load.spawn_rate == 2.0 and isinstance(profile.load.spawn_rate, float)
    assert profile.load.user_classes == ("ShortTexts",)
    assert profile.thresholds.max_p95_ms is None
    assert profile.thresholds.min_rps == 1.5


def variant(path: str, value):
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("load.users", 0, "load.users: must be >= 1"),
        ("load.users", 2.5, "load.users: expected a whole number, got 2.5"),
        ("load.users", True, "load.users: expected a whole number, got True"),
        ("load.spawn_rate", 0, "load.spawn_rate: must be > 0"),
        ("load.run_time", "soon", "load.run_time: expected a duration"),
        ("load.run_time", "0s", "load.run_time: expected a duration"),
        ("load.user_rate", -1, "load.user_rate: must be >= 0"),
        ("load.user_classes", [], "load.user_classes: expected a non-empty list"),
        ("load.user_classes", ["Nope"], "unknown user class 'Nope'"),
        ("load.users", KeyError, "load.users: missing key"),
        ("load.extra", 1, "load.extra: unknown key"),
        ("thresholds.max_p95", 1, "thresholds.max_p95: unknown key"),
        ("thresholds.max_failure_ratio", -0.1, "thresholds.max_failure_ratio: must be >= 0"),
        ("thresholds.min_requests_per_scenario", 0, "must be >= 1"),
        ("thresholds.min_rps", "fast", "thresholds.min_rps: expected a number"),
        ("load.spawn_rate", -1, "load.spawn_rate: must be > 0, got -1"),
        ("load.run_time", True, "load.run_time: expected a duration"),
        ("load.user_classes", "ShortTexts", "load.user_classes: expected a list"),
        ("load.user_classes", [3], "load.user_classes[0]: expected a string, got 3"),
        ("load.user_classes", ["ShortTexts", "Nope"], "load.user_classes[1]: unknown user class"),
        ("load", 5, "load: expected a mapping of keys, got 5"),
        ("thresholds", None, "thresholds: expected a mapping of keys, got None"),
        ("thresholds.min_rps", KeyError, "thresholds.min_rps: missing key"),
        ("thresholds.max_p95_ms", float("nan"), "thresholds.max_p95_ms: expected a finite number"),
        ("thresholds.min_rps", float("inf"), "thresholds.min_rps: expected a finite number"),
        ("thresholds.min_requests_per_scenario", 1.5, "expected a whole number, got 1.5"),
        ("name", "mine", "name: unknown key (known: load, thresholds)"),
    ],
)
def test_bad_values_name_the_key(path: str, value, message: str) -> None:
    with pytest.raises(profiles.ProfileError) as raised:
        profiles.parse("custom", variant(path, value))
    assert message in str(raised.value)


def test_unknown_key_lists_the_known_ones() -> None:
    with pytest.raises(profiles.ProfileError) as raised:
        profiles.parse("custom", variant("thresholds.max_p95", 1))
    known = "max_failure_ratio, max_p95_ms, min_rps, min_requests_per_scenario"
    assert str(raised.value) == f"thresholds.max_p95: unknown key (known: {known})"


def test_every_problem_is_reported_at_once() -> None:
    data = variant("load.users", 0)
    data["load"]["run_time"] = "soon"
    data["thresholds"]["min_rps"] = -2
    with pytest.raises(profiles.ProfileError) as raised:
        profiles.parse("custom", data)
    assert str(raised.value) == (
        "load.users: must be >= 1, got 0; "
        "load.run_time: expected a duration like 30s, 2m or 1h30m, got 'soon'; "
        "thresholds.min_rps: must be >= 0, got -2"
    )


def test_a_bare_number_of_seconds_is_a_run_time() -> None:
    assert profiles.parse("custom", variant("load.run_time", 45)).load.run_time == "45"


def test_a_bad_file_is_named_with_its_key(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(variant("load.user_rate", -1)))
    with pytest.raises(profiles.ProfileError) as raised:
        profiles.load(bad)
    assert str(raised.value) == f"{bad}: load.user_rate: must be >= 0, got -1"


def test_profiles_built_in_code_are_checked_too() -> None:
    # The CLI's overrides go through dataclasses.replace.
    load = profiles.parse("custom", VALID).load
    assert dataclasses.replace(load, users=5).users == 5
    with pytest.raises(ValidationError):
        dataclasses.replace(load, users=0)
    with pytest.raises(ValidationError):
        profiles.Thresholds(-1, None, None, None)
    assert profiles.Thresholds(0, 20, 10, 3).max_p95_ms == 20.0


def test_bad_files(tmp_path) -> None:
    with pytest.raises(profiles.ProfileError, match="unknown profile 'nope': choose one of"):
        profiles.path_of("nope")
    with pytest.raises(profiles.ProfileError, match="cannot read"):
        profiles.load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("load: [")
    with pytest.raises(profiles.ProfileError, match="broken.yaml: not valid YAML"):
        profiles.load(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(profiles.ProfileError, match="empty.yaml: the file: expected a mapping"):
        profiles.load(empty)
    good = tmp_path / "mine.yaml"
    good.write_text(yaml.safe_dump(VALID))
    assert profiles.load(good).name == "mine"


@pytest.mark.parametrize(
    ("text", "seconds"), [("45", 45), ("30s", 30), ("2m", 120), ("1h30m", 5400), ("1m5s", 65)]
)
def test_durations(text: str, seconds: int) -> None:
    assert profiles.seconds(profiles.duration(text)) == seconds


@pytest.mark.parametrize("text", ["", "0", "5x", "s", "1.5m", "-3s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(profiles.ProfileError):
        profiles.duration(text)
