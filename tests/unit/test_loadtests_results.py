"""Reading Locust's --json-file and the locustfile's errors.json."""

import json

import pytest

from loadtests import results


def entry(name: str, histogram: dict[int, int], failures: int = 0, start=100.0, end=110.0):
    """One element of Locust's --json-file list, as json.dump leaves it (string keys)."""
    return {
        "name": name,
        "method": "POST",
        "start_time": start,
        "last_request_timestamp": end,
        "num_requests": sum(histogram.values()),
        "num_none_requests": 0,
        "num_failures": failures,
        "response_times": {str(ms): count for ms, count in histogram.items()},
    }


def test_scenarios_and_total() -> None:
    parsed = results.parse_stats(
        [
            entry("short-text", {10: 90, 100: 5, 500: 5}, failures=2, start=100.0, end=110.0),
            entry("batch-8", {40: 20}, start=101.0, end=112.5),
        ]
    )
    short = parsed.scenarios["short-text"]
    assert (short.requests, short.failures, short.failure_ratio) == (100, 2, 0.02)
    assert short.rps == pytest.approx(10.0)
    assert parsed.total.name == results.TOTAL
    assert (parsed.total.requests, parsed.total.failures) == (120, 2)
    # The total spans the first request of any scenario to the last of any.
    assert parsed.total.rps == pytest.approx(120 / 12.5)
    assert parsed.total.response_times == {10: 90, 40: 20, 100: 5, 500: 5}


def test_percentiles_follow_locusts_rule() -> None:
    # Locust's pN is the slowest bucket with at most N% of the requests faster
    # than it, so a boundary goes up: 5 of 100 at 500 ms make p95 500 ms.
    stats = results.parse_stats([entry("s", {10: 90, 100: 5, 500: 5})]).total
    assert stats.percentile(0.50) == 10
    assert stats.percentile(0.89) == 10
    assert stats.percentile(0.90) == 100
    assert stats.percentile(0.94) == 100
    assert stats.percentile(0.95) == 500
    assert stats.percentile(1.0) == 500


def test_same_name_with_two_methods_is_one_scenario() -> None:
    get = entry("short-text", {5: 1}) | {"method": "GET"}
    parsed = results.parse_stats([entry("short-text", {5: 3}), get])
    assert parsed.scenarios["short-text"].requests == 4


def test_empty_run() -> None:
    parsed = results.parse_stats([])
    assert parsed.scenarios == {}
    total = parsed.total
    assert (total.requests, total.failure_ratio, total.rps, total.percentile(0.95)) == (0, 0, 0, 0)


def test_load_reads_the_json_file(tmp_path) -> None:
    (tmp_path / "stats.json").write_text(json.dumps([entry("long-text", {30: 4})]))
    assert results.load(tmp_path).scenarios["long-text"].requests == 4


@pytest.mark.parametrize(("content", "reason"), [(None, "is missing"), ("[{", "not valid JSON")])
def test_load_says_what_is_wrong(tmp_path, content, reason) -> None:
    if content is not None:
        (tmp_path / "stats.json").write_text(content)
    with pytest.raises(ValueError, match=reason):
        results.load(tmp_path)


def test_errors_most_frequent_first(tmp_path) -> None:
    errors = {
        "failures": [
            {"name": "long-text", "error": "HTTP 503: busy", "occurrences": 2},
            {"name": "short-text", "error": "HTTP 500: boom", "occurrences": 7},
        ],
        "exceptions": [{"count": 1, "message": "KeyError: 'x'", "traceback": "..."}],
    }
    (tmp_path / "errors.json").write_text(json.dumps(errors))
    found = results.load_errors(tmp_path)
    assert found.failures == [
        ("short-text", "HTTP 500: boom", 7),
        ("long-text", "HTTP 503: busy", 2),
    ]
    assert found.exceptions == [(1, "KeyError: 'x'")]
