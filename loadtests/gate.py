"""Check a run's results against a profile's thresholds."""

from collections.abc import Iterable
from dataclasses import dataclass

from loadtests.profiles import Thresholds
from loadtests.results import Results


@dataclass(frozen=True)
class Breach:
    threshold: str  # the key in the thresholds file
    scope: str  # "all requests" or a scenario name
    measured: float
    limit: float
    unit: str = ""

    def __str__(self) -> str:
        relation = "<" if self.threshold.startswith("min_") else ">"
        bound = "min" if relation == "<" else "max"
        return (
            f"{self.threshold} breached ({self.scope}): measured {_show(self.measured)}{self.unit}"
            f" {relation} {bound} {_show(self.limit)}{self.unit}"
        )


def evaluate(results: Results, limits: Thresholds, expected: Iterable[str]) -> list[Breach]:
    """Every threshold the run breached; empty when it passed.

    `expected` names the scenarios the run should have exercised.
    """
    total = results.total
    everything = "all requests"
    breaches = []
    # A run that made no requests proves nothing, whatever the profile says.
    if total.requests == 0:
        breaches.append(Breach("min_requests", f"{everything}, always checked", 0, 1))
    ratio, ratio_limit = total.failure_ratio, limits.max_failure_ratio
    if ratio_limit is not None and ratio > ratio_limit:
        breaches.append(Breach("max_failure_ratio", everything, ratio, ratio_limit))
    p95 = total.percentile(0.95)
    if limits.max_p95_ms is not None and p95 > limits.max_p95_ms:
        breaches.append(Breach("max_p95_ms", everything, p95, limits.max_p95_ms, " ms"))
    if limits.min_rps is not None and total.rps < limits.min_rps:
        breaches.append(Breach("min_rps", everything, total.rps, limits.min_rps, " req/s"))
    if (least := limits.min_requests_per_scenario) is not None:
        for name in expected:
            stats = results.scenarios.get(name)
            count = stats.requests if stats else 0
            if count < least:
                breaches.append(Breach("min_requests_per_scenario", name, count, least))
    return breaches


def _show(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"
