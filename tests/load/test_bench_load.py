"""The benchmark's load generator against the real model service: it counts real answers,
and charges wrong answers and HTTP errors as failures instead of latencies."""

import pytest

from benchmarks.load import Api, Texts, closed_loop, open_loop
from benchmarks.servers import BENTOML
from loadtests.texts import TextPool


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts(list(TextPool.load().comments))


def test_closed_loop_measures_answered_requests(model_server_url, texts):
    point = closed_loop(
        model_server_url, BENTOML.api, texts, batch=2, concurrency=4, warmup=0.5, seconds=2
    )
    assert point["failures"] == {}
    assert point["requests"] > 0
    assert point["texts_per_s"] == pytest.approx(2 * point["requests_per_s"], rel=0.01)
    assert 0 < point["p50_ms"] <= point["p95_ms"] <= point["p99_ms"]


def test_open_loop_sends_at_the_offered_rate(model_server_url, texts):
    point = open_loop(model_server_url, BENTOML.api, texts, batch=1, rate=8, warmup=0.5, seconds=3)
    assert point["failures"] == {}
    # Poisson arrivals, 24 expected: far outside these bounds means the schedule is wrong.
    assert 8 <= point["requests"] <= 48


def test_answers_with_the_wrong_number_of_predictions_are_failures(model_server_url, texts):
    miscounting = Api("/classify", BENTOML.api.body, lambda _: -1)
    point = closed_loop(
        model_server_url, miscounting, texts, batch=1, concurrency=2, warmup=0.1, seconds=1
    )
    assert point["requests"] == 0
    assert point["failures"]["wrong number of predictions"] > 0


def test_http_errors_are_failures_not_latencies(model_server_url, texts):
    missing = Api("/no-such-route", BENTOML.api.body, len)
    point = closed_loop(
        model_server_url, missing, texts, batch=1, concurrency=2, warmup=0.1, seconds=1
    )
    assert point["requests"] == 0
    assert point["p95_ms"] is None
    assert set(point["failures"]) == {"HTTP 404"}
