"""Load profiles: how hard to push (load) and what must hold (thresholds), one YAML file each.

The classes are pydantic dataclasses: a profile file is validated against them
(unknown keys, wrong types and out-of-range numbers are refused), and so is every
Load or Thresholds built in code, including by dataclasses.replace.
"""

import dataclasses
import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
)
from pydantic.dataclasses import dataclass

from loadtests import scenarios

PROFILES_DIR = Path(__file__).resolve().parent / "thresholds"

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")
_DURATION_HINT = "expected a duration like 30s, 2m or 1h30m"


class ProfileError(ValueError):
    pass


def duration(value: object, key: str = "run time") -> str:
    """Check a Locust run time ("30s", "2m", "1h30m", "45") and return it as given."""
    try:
        return _run_time(value)
    except ValueError as error:
        raise ProfileError(f"{key}: {error}") from None


def seconds(run_time: str) -> int:
    match = _DURATION.match(run_time)
    if not match:
        raise ProfileError(f"not a duration: {run_time!r}")
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


def _run_time(value: object) -> str:
    # YAML reads a bare 45 as an int: Locust takes it as seconds. A bool is not a duration.
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"{_DURATION_HINT}, got {value!r}")
    text = str(value).strip()
    if not text or not _DURATION.match(text) or seconds(text) == 0:
        raise ValueError(f"{_DURATION_HINT}, got {value!r}")
    return text


def _known_user_class(name: str) -> str:
    if name not in scenarios.USER_CLASSES:
        known = ", ".join(scenarios.USER_CLASSES)
        raise ValueError(f"unknown user class {name!r} (known: {known})")
    return name


# Strict numbers: YAML's true is not 1 and "5" is a string; a float field takes an int.
AtLeastOne = Annotated[int, Strict(), Field(ge=1)]
Positive = Annotated[float, Strict(), Field(gt=0)]
NonNegative = Annotated[float, Strict(), Field(ge=0)]
Duration = Annotated[str, BeforeValidator(_run_time)]
UserClass = Annotated[str, AfterValidator(_known_user_class)]

# Every key of a profile is required (null marks a threshold left out on purpose);
# any other key is refused, so a misspelt limit cannot silently gate nothing.
_STRICT_KEYS = ConfigDict(extra="forbid", allow_inf_nan=False)


@dataclass(frozen=True, config=_STRICT_KEYS)
class Load:
    users: AtLeastOne
    spawn_rate: Positive
    run_time: Duration  # Locust's syntax: 30s, 2m, 1h30m
    user_rate: NonNegative  # requests/s per user; 0 means no wait between requests
    user_classes: Annotated[tuple[UserClass, ...], Field(min_length=1)]


@dataclass(frozen=True, config=_STRICT_KEYS)
class Thresholds:
    # None: not gated in this profile (so a reader sees it was left out on purpose).
    max_failure_ratio: NonNegative | None
    max_p95_ms: NonNegative | None
    min_rps: NonNegative | None
    min_requests_per_scenario: AtLeastOne | None


@dataclass(frozen=True, config=_STRICT_KEYS)
class _ProfileFile:
    """What a thresholds/<name>.yaml file holds; the name is the file's."""

    load: Load
    thresholds: Thresholds


@dataclass(frozen=True)
class Profile:
    name: str
    load: Load
    thresholds: Thresholds


_FILE = TypeAdapter(_ProfileFile)


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
    try:
        found = _FILE.validate_python(data)
    except ValidationError as error:
        # A list whose items all failed is also "too short": its items' errors say it better.
        problems = [p for p in error.errors() if not (p["type"] == "too_short" and p["input"])]
        raise ProfileError("; ".join(_describe(problem) for problem in problems)) from None
    return Profile(name=name, load=found.load, thresholds=found.thresholds)


# Pydantic's error types in the profile's own terms; ctx fields fill the braces.
_MESSAGES = {
    "missing": "missing key",
    "unexpected_keyword_argument": "unknown key (known: {known})",
    "dataclass_type": "expected a mapping of keys, got {input!r}",
    "int_type": "expected a whole number, got {input!r}",
    "int_from_float": "expected a whole number, got {input!r}",
    "float_type": "expected a number, got {input!r}",
    "finite_number": "expected a finite number, got {input!r}",
    "tuple_type": "expected a list, got {input!r}",
    "string_type": "expected a string, got {input!r}",
    "greater_than": "must be > {gt:g}, got {input!r}",
    "greater_than_equal": "must be >= {ge:g}, got {input!r}",
    "too_short": "expected a non-empty list",
    "value_error": "{error}",
}


def _describe(problem: dict) -> str:
    """One pydantic error as `key.path: what is wrong`."""
    where = ""
    for part in problem["loc"]:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else part
    message = _MESSAGES.get(problem["type"], "{msg}")
    context = problem.get("ctx", {})
    if problem["type"] == "unexpected_keyword_argument":
        context = {"known": _keys_beside(problem["loc"])}
    return f"{where or 'the file'}: " + message.format(
        input=problem.get("input"), msg=problem["msg"], **context
    )


def _keys_beside(loc: tuple) -> str:
    """The keys allowed where the key at loc stands."""
    section = _ProfileFile
    for part in loc[:-1]:
        section = {field.name: field.type for field in dataclasses.fields(section)}[part]
    return ", ".join(field.name for field in dataclasses.fields(section))
