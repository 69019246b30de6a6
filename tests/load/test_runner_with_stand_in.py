"""The runner end to end, against a stand-in HTTP server (tests/load/runner_stand_in.py).

This proves the runner, the scenarios and the thresholds gate; it says nothing
about the model service, which test_model_smoke.py loads.
"""

import json
import re

import yaml

from devstack.processes import free_port
from loadtests import profiles, results, scenarios

RUN_TIME = "5s"


def locust_report_stats(out_dir) -> dict[str, dict]:
    """Per-name final stats as Locust put them in its HTML report."""
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    start = re.search(r'"requests_statistics": ', html).end()
    entries, _ = json.JSONDecoder().raw_decode(html, start)
    return {entry["name"]: entry for entry in entries}


def test_smoke_passes_and_exercises_every_scenario(runner_stand_in, loadtests_cli, tmp_path):
    url = runner_stand_in()
    out = tmp_path / "smoke"
    result = loadtests_cli("--profile", "smoke", "--host", url, "--run-time", RUN_TIME, out=out)
    assert result.returncode == 0
    assert "PASS: every smoke threshold held" in result.stdout
    for name in (*scenarios.NAMES, "all"):
        assert re.search(rf"^{name}\s+\d+\s+0\s", result.stdout, re.MULTILINE), name
    for report in ("report.html", "stats.json", "locust_stats.csv", "errors.json"):
        assert (out / report).stat().st_size > 0, report

    measured = results.load(out)
    least = profiles.load(profiles.path_of("smoke")).thresholds.min_requests_per_scenario
    assert measured.total.failures == 0
    assert {name: stats.requests >= least for name, stats in measured.scenarios.items()} == {
        name: True for name in scenarios.NAMES
    }
    # Our reading of stats.json agrees with Locust's own final report.
    locust = locust_report_stats(out)
    for name, stats in measured.scenarios.items():
        assert stats.requests == locust[name]["num_requests"]
        assert stats.percentile(0.95) == locust[name]["response_time_percentile_0.95"]
    assert measured.total.percentile(0.95) == locust["Aggregated"]["response_time_percentile_0.95"]


def test_impossible_thresholds_fail_the_run_naming_them(runner_stand_in, loadtests_cli, tmp_path):
    url = runner_stand_in()
    profile = yaml.safe_load(profiles.path_of("smoke").read_text())
    # The stand-in sleeps 2 ms per request, so no p95 can be this low.
    profile["thresholds"].update(max_p95_ms=0.001, min_rps=1e9)
    impossible = tmp_path / "impossible.yaml"
    impossible.write_text(yaml.safe_dump(profile))

    result = loadtests_cli(
        "--profile-file", str(impossible), "--host", url, "--run-time", RUN_TIME, out=tmp_path / "r"
    )
    assert result.returncode == 1
    assert "FAIL: 2 impossible threshold(s) breached" in result.stdout
    assert re.search(
        r"max_p95_ms breached \(all requests\): measured \d+ ms > max 0.001 ms", result.stdout
    )
    assert re.search(
        r"min_rps breached \(all requests\): measured [\d.]+ req/s < min 1e\+09", result.stdout
    )


def test_a_200_with_the_wrong_shape_is_a_failure(runner_stand_in, loadtests_cli, tmp_path):
    url = runner_stand_in("--wrong-shape")
    result = loadtests_cli(
        "--profile", "smoke", "--host", url, "--run-time", RUN_TIME, out=tmp_path / "r"
    )
    assert result.returncode == 1
    assert "max_failure_ratio breached (all requests): measured 1 > max 0" in result.stdout
    assert "200 with a wrong shape: expected a list of predictions" in result.stdout
    measured = results.load(tmp_path / "r")
    assert measured.total.requests > 0
    assert measured.total.failures == measured.total.requests


def test_an_unreachable_host_is_a_clear_error(loadtests_cli, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = loadtests_cli("--profile", "smoke", "--host", url, out=tmp_path / "r")
    assert result.returncode == 3
    assert f"loadtests: error: cannot reach {url}/readyz" in result.stderr
    assert not (tmp_path / "r").exists()
