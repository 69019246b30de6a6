"""Read a finished Locust run: per-scenario and overall counts, latency and throughput.

The numbers come from Locust's --json-file and the errors from the locustfile's
errors.json, both written once at shutdown from the final state. Locust's CSV
files are rewritten every second during the run and can miss the last second,
so they are left for humans.
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TOTAL = "all"


class ResultsError(ValueError):
    pass


@dataclass(frozen=True)
class Stats:
    name: str
    requests: int
    failures: int
    response_times: dict[int, int]  # Locust's histogram: rounded ms -> count
    first_request: float  # unix seconds
    last_request: float

    @property
    def failure_ratio(self) -> float:
        if self.requests == 0:
            return 0.0
        return self.failures / self.requests

    @property
    def rps(self) -> float:
        duration = self.last_request - self.first_request
        return self.requests / duration if duration > 0 else 0.0

    def percentile(self, fraction: float) -> int:
        """Locust's own percentile rule over its histogram, so numbers match its reports.

        Reimplemented because importing locust here would gevent-patch the runner.
        """
        timed = sum(self.response_times.values())
        wanted = int(timed * fraction)
        seen = 0
        for millis in sorted(self.response_times, reverse=True):
            seen += self.response_times[millis]
            if timed - seen <= wanted:
                return millis
        return 0


@dataclass(frozen=True)
class Results:
    scenarios: dict[str, Stats]
    total: Stats


def parse_stats(entries: list[dict]) -> Results:
    """Results from the list Locust writes to --json-file (one entry per name and method)."""
    by_name: dict[str, list[dict]] = {}
    for entry in entries:
        by_name.setdefault(entry["name"], []).append(entry)
    scenarios = {name: _merge(name, group) for name, group in by_name.items()}
    return Results(scenarios=scenarios, total=_merge(TOTAL, entries))


def load(out_dir: Path) -> Results:
    return parse_stats(_read_json(out_dir / "stats.json"))


@dataclass(frozen=True)
class Errors:
    failures: list[tuple[str, str, int]]  # (scenario, error, occurrences), most frequent first
    exceptions: list[tuple[int, str]]  # (count, message): the scenario code raised, a bug


def load_errors(out_dir: Path) -> Errors:
    """The failures and exceptions the locustfile writes when Locust quits."""
    data = _read_json(out_dir / "errors.json")
    failures = [(f["name"], f["error"], f["occurrences"]) for f in data["failures"]]
    return Errors(
        failures=sorted(failures, key=lambda row: row[2], reverse=True),
        exceptions=[(e["count"], e["message"]) for e in data["exceptions"]],
    )


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path} is missing: Locust did not finish its run") from None
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path} is not valid JSON: {error}") from None


def _merge(name: str, entries: list[dict]) -> Stats:
    histogram: Counter[int] = Counter()
    for entry in entries:
        # JSON turned the histogram's int keys into strings.
        histogram.update({int(ms): count for ms, count in entry["response_times"].items()})
    starts = [e["start_time"] for e in entries]
    ends = [e["last_request_timestamp"] for e in entries if e["last_request_timestamp"]]
    return Stats(
        name=name,
        requests=sum(e["num_requests"] for e in entries),
        failures=sum(e["num_failures"] for e in entries),
        response_times=dict(histogram),
        first_request=min(starts, default=0.0),
        last_request=max(ends, default=0.0),
    )
