"""Load profiles: how hard to push (load) and what must hold (thresholds), one YAML file each."""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from loadtests import scenarios

PROFILES_DIR = Path(__file__).resolve().parent / "thresholds"

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


@dataclass(frozen=True)
class Load:
    users: int
    spawn_rate: float
    run_time: str  # Locust's syntax: 30s, 2m, 1h30m
    user_rate: float  # requests/s per user; 0 means no wait between requests
    user_classes: tuple[str, ...]


@dataclass(frozen=True)
class Thresholds:
    # None: not gated in this profile (so a reader sees it was left out on purpose).
    max_failure_ratio: float | None
    max_p95_ms: float | None
    min_rps: float | None
    min_requests_per_scenario: int | None


@dataclass(frozen=True)
class Profile:
    name: str
    load: Load
    thresholds: Thresholds


class ProfileError(ValueError):
    pass


def names() -> list[str]:
    return sorted(path.stem for path in PROFILES_DIR.glob("*.yaml"))


def path_of(name: str) -> Path:
    if name not in names():
        raise ProfileError(f"unknown profile {name!r}: choose one of {', '.join(names())}")
    return PROFILES_DIR / f"{name}.yaml"


def load(path: Path) -> Profile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: not valid YAML: {error}") from None
    try:
        return parse(path.stem, data)
    except ProfileError as error:
        raise ProfileError(f"{path}: {error}") from None


def parse(name: str, data: object) -> Profile:
    section = _mapping(data, "", {"load", "thresholds"})
    load_ = _mapping(section.get("load"), "load", set(Load.__annotations__))
    limits = _mapping(section.get("thresholds"), "thresholds", set(Thresholds.__annotations__))
    classes = load_["user_classes"]
    if not isinstance(classes, list) or not classes:
        raise ProfileError("load.user_classes: expected a non-empty list")
    for cls in classes:
        if cls not in scenarios.USER_CLASSES:
            known = ", ".join(scenarios.USER_CLASSES)
            raise ProfileError(f"load.user_classes: unknown user class {cls!r} (known: {known})")
    return Profile(
        name=name,
        load=Load(
            users=_number(load_, "load.users", int, minimum=1),
            spawn_rate=_number(load_, "load.spawn_rate", float, minimum=0, exclusive=True),
            run_time=duration(load_["run_time"], "load.run_time"),
            user_rate=_number(load_, "load.user_rate", float, minimum=0),
            user_classes=tuple(classes),
        ),
        thresholds=Thresholds(
            max_failure_ratio=_optional(limits, "thresholds.max_failure_ratio", float, 0),
            max_p95_ms=_optional(limits, "thresholds.max_p95_ms", float, 0),
            min_rps=_optional(limits, "thresholds.min_rps", float, 0),
            min_requests_per_scenario=_optional(
                limits, "thresholds.min_requests_per_scenario", int, 1
            ),
        ),
    )


def duration(value: object, key: str = "run time") -> str:
    """Check a Locust run time ("30s", "2m", "1h30m", "45") and return it as given."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ProfileError(f"{key}: expected a duration like 30s, 2m or 1h30m, got {value!r}")
    text = str(value).strip()
    if not text or not _DURATION.match(text) or seconds(text) == 0:
        raise ProfileError(f"{key}: expected a duration like 30s, 2m or 1h30m, got {value!r}")
    return text


def seconds(run_time: str) -> int:
    match = _DURATION.match(run_time)
    if not match:
        raise ProfileError(f"not a duration: {run_time!r}")
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


def _mapping(value: object, key: str, allowed: set[str]) -> dict:
    where = key or "the file"
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: expected a mapping with keys {', '.join(sorted(allowed))}")
    if unknown := set(value) - allowed:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if missing := allowed - set(value):
        raise ProfileError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    return value


def _number(data: dict, key: str, kind: type, minimum: float, exclusive: bool = False):
    value = data[key.rsplit(".", 1)[1]]
    # YAML gives ints for "5"; a float field accepts them, an int field refuses 2.5.
    allowed = (int, float) if kind is float else (int,)
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise ProfileError(f"{key}: expected a number, got {value!r}")
    if value < minimum or (exclusive and value == minimum):
        relation = ">" if exclusive else ">="
        raise ProfileError(f"{key}: must be {relation} {minimum}, got {value!r}")
    return kind(value)


def _optional(data: dict, key: str, kind: type, minimum: float):
    if data[key.rsplit(".", 1)[1]] is None:
        return None
    return _number(data, key, kind, minimum)
