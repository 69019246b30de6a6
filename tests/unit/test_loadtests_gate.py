"""Threshold evaluation: which thresholds a run breached, with measured value and limit."""

from loadtests import gate, results
from loadtests.profiles import Thresholds

SCENARIOS = ("short-text", "long-text", "batch-8")
OPEN = Thresholds(None, None, None, None)


def run(requests: dict[str, int], latency_ms: int = 20, failures: int = 0, seconds: float = 10):
    """Results where every request took `latency_ms`; failures land on the first scenario."""
    entries = []
    for index, (name, count) in enumerate(requests.items()):
        entries.append(
            {
                "name": name,
                "start_time": 100.0,
                "last_request_timestamp": 100.0 + seconds,
                "num_requests": count,
                "num_failures": failures if index == 0 else 0,
                "response_times": {str(latency_ms): count},
            }
        )
    return results.parse_stats(entries)


GOOD = run({"short-text": 80, "long-text": 10, "batch-8": 10})  # 10 req/s, 20 ms


def breached(measured, limits: Thresholds) -> list[str]:
    return [b.threshold for b in gate.evaluate(measured, limits, SCENARIOS)]


def test_a_good_run_passes_every_threshold() -> None:
    assert breached(GOOD, Thresholds(0.0, 20, 10, 10)) == []


def test_unset_thresholds_are_not_checked() -> None:
    slow_failing = run({"short-text": 10, "long-text": 1, "batch-8": 1}, 9000, failures=5)
    assert breached(slow_failing, OPEN) == []


def test_each_threshold_is_named_with_measured_and_limit() -> None:
    bad = run({"short-text": 50, "long-text": 2}, latency_ms=800, failures=5, seconds=10)
    found = gate.evaluate(bad, Thresholds(0.01, 500, 10, 3), SCENARIOS)
    assert [(b.threshold, b.scope, b.measured, b.limit) for b in found] == [
        ("max_failure_ratio", "all requests", 5 / 52, 0.01),
        ("max_p95_ms", "all requests", 800, 500),
        ("min_rps", "all requests", 5.2, 10),
        ("min_requests_per_scenario", "long-text", 2, 3),
        ("min_requests_per_scenario", "batch-8", 0, 3),
    ]
    messages = [str(b) for b in found]
    assert "max_p95_ms breached (all requests): measured 800 ms > max 500 ms" in messages
    assert "min_rps breached (all requests): measured 5.2 req/s < min 10 req/s" in messages
    assert "min_requests_per_scenario breached (batch-8): measured 0 < min 3" in messages


def test_failure_ratio_equal_to_the_limit_passes() -> None:
    assert breached(run({"short-text": 100}, failures=1), Thresholds(0.01, None, None, None)) == []
    assert breached(run({"short-text": 100}, failures=2), Thresholds(0.01, None, None, None)) == [
        "max_failure_ratio"
    ]


def test_a_run_without_requests_never_passes() -> None:
    assert breached(results.parse_stats([]), OPEN) == ["min_requests"]
