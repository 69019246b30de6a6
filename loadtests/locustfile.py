"""Locust users for the inference path. Run through `python -m loadtests run`.

Locust gevent-patches the process that imports it, so only the Locust
subprocess the runner starts ever imports this file.
"""

import json
from functools import cache
from pathlib import Path
from random import Random

import gevent
from locust import FastHttpUser, constant_throughput, events

from loadtests import contract, scenarios
from loadtests.texts import COMMENTS_CSV, TextPool


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument(
        "--user-rate",
        type=float,
        default=0.0,
        help="requests per second per user (0: no wait, the service is saturated)",
    )
    parser.add_argument("--texts-csv", default=str(COMMENTS_CSV), help="CSV with a 'text' column")
    parser.add_argument("--errors-file", default="", help="write failures and exceptions here")


@events.init.add_listener
def _refresh_clock(**_kwargs) -> None:
    # gevent's loop clock was read when Locust was imported and not since; the
    # --run-time timer counts from it, so a slow start (seconds on a busy
    # 2-core machine) would silently cut the run short by that much.
    gevent.get_hub().loop.update_now()


@events.quitting.add_listener
def _write_errors(environment, **_kwargs) -> None:
    """Final failures and exceptions as JSON: Locust's CSVs of them can miss the last second."""
    path = environment.parsed_options.errors_file
    if not path:
        return
    failures = [
        {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    exceptions = [
        {"count": row["count"], "message": row["msg"], "traceback": row["traceback"]}
        for row in environment.runner.exceptions.values()
    ]
    errors = {"failures": failures, "exceptions": exceptions}
    Path(path).write_text(json.dumps(errors, indent=2), encoding="utf-8")


@cache
def _pool(path: str) -> TextPool:
    return TextPool.load(Path(path))


class _Classify(FastHttpUser):
    abstract = True
    # A request stuck this long is a failure, not a data point.
    network_timeout = 30.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.pool = _pool(options.texts_csv)
        self.rng = Random()
        rate = options.user_rate
        self._wait = constant_throughput(rate) if rate > 0 else None

    def wait_time(self) -> float:
        return self._wait(self) if self._wait else 0.0

    def classify(self, scenario: scenarios.Scenario) -> None:
        texts = scenario.texts(self.pool, self.rng)
        with self.client.post(
            "/classify", json={"texts": texts}, name=scenario.name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return
            try:
                body = response.json()
            except ValueError:
                response.failure(f"200 but not JSON: {(response.text or '')[:200]}")
                return
            if error := contract.shape_error(body, len(texts)):
                response.failure(f"200 with a wrong shape: {error}")
            else:
                response.success()


def _task(scenario: scenarios.Scenario):
    def run(user: _Classify) -> None:
        user.classify(scenario)

    run.__name__ = scenario.name
    return run


class ShortTexts(_Classify):
    tasks = [_task(scenarios.SHORT)]


class LongTexts(_Classify):
    tasks = [_task(scenarios.LONG)]


class SmallBatches(_Classify):
    tasks = [_task(scenarios.BATCH)]


class RealisticMix(_Classify):
    tasks = {_task(s): scenarios.MIX_WEIGHTS[s.name] for s in scenarios.ALL}
