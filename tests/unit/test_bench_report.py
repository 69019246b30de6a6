"""The benchmark's arithmetic and report: percentiles, ratios, targets met or not, arguments."""

import pytest

from benchmarks import report, run
from benchmarks.load import Sample, Texts


def _point(texts_per_s: float, p95: float = 50.0) -> dict:
    return {
        "requests": 100,
        "texts_per_s": texts_per_s,
        "requests_per_s": texts_per_s,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 2,
        "failures": {},
    }


def _server(saturation: float, p95_at_half: float) -> dict:
    return {
        "ready_seconds": 10.0,
        "closed_loop": {1: _point(saturation / 4), 32: _point(saturation, 400.0)},
        "saturation_concurrency": 32,
        "saturation_texts_per_s": saturation,
        "open_loop": {
            level: {"offered_per_s": saturation * f, **_point(saturation * f, p95_at_half)}
            for level, f in (("25%", 0.25), ("50%", 0.5), ("75%", 0.75))
        },
        "memory": {"rss_mib": 900, "pss_mib": 700},
    }


def _results(bentoml: float, mlflow: float, p95_at_half: float = 80.0) -> dict:
    return {
        "model_uri": "models:/troll-classifier/1",
        "cpu_budget": 2,
        "seconds_per_point": 15.0,
        "texts_per_request": 1,
        "limit": {
            "threads": 2,
            "texts_per_s_by_spinning": {
                "off": {1: 40.0, 32: 400.0},
                "on": {1: 50.0, 32: 380.0},
            },
            "best_spinning": "off",
            "best_batch": 32,
            "limit_texts_per_s": 400.0,
            "rss_mib": 800,
            "pss_mib": 780,
        },
        "servers": {
            "bentoml": _server(bentoml, p95_at_half),
            "mlflow-models-serve": _server(mlflow, 30.0),
            "plain-fastapi": _server(50.0, 30.0),
        },
    }


def test_ratios_divide_our_saturation_by_the_limit_and_each_peer():
    found = report.ratios(_results(bentoml=340.0, mlflow=40.0))
    assert found == pytest.approx(
        {
            "served_over_limit": 0.85,
            "served_over_mlflow-models-serve": 8.5,
            "served_over_plain-fastapi": 6.8,
        }
    )


def test_targets_met_are_reported_as_met():
    text = report.markdown(_results(bentoml=340.0, mlflow=40.0, p95_at_half=80.0))
    assert "| BentoML saturation / in-process limit | 0.85x | >= 0.8x | yes |" in text
    assert "| BentoML / `mlflow models serve` | 8.50x | >= 4x | yes |" in text
    assert "| BentoML p95 at 50% of saturation | 80 ms | <= 100 ms | yes |" in text


def test_targets_missed_are_reported_as_missed():
    text = report.markdown(_results(bentoml=200.0, mlflow=100.0, p95_at_half=150.0))
    assert "| BentoML saturation / in-process limit | 0.50x | >= 0.8x | no |" in text
    assert "| BentoML / `mlflow models serve` | 2.00x | >= 4x | no |" in text
    assert "| BentoML p95 at 50% of saturation | 150 ms | <= 100 ms | no |" in text


def test_the_limit_table_has_a_row_per_spinning_mode():
    text = report.markdown(_results(bentoml=340.0, mlflow=40.0))
    assert "| off | 40 | 400 |" in text
    assert "| on | 50 | 380 |" in text
    assert "Best: 400 texts/s at batch 32, spinning off" in text


def test_the_plot_is_a_png(tmp_path):
    path = tmp_path / "plot.png"
    report.plot(_results(bentoml=340.0, mlflow=40.0), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_percentiles_come_from_the_sorted_latencies():
    sample = Sample(seconds=2.0, texts=100, latencies=[i / 1000 for i in range(100, 0, -1)])
    summary = sample.summary()
    assert (summary["p50_ms"], summary["p95_ms"], summary["p99_ms"]) == (51.0, 96.0, 100.0)
    assert summary["texts_per_s"] == 50.0


def test_an_interval_without_answers_has_no_percentiles():
    sample = Sample(seconds=1.0)
    sample.fail("HTTP 503")
    assert sample.summary()["p95_ms"] is None
    assert sample.summary()["failures"] == {"HTTP 503": 1}


def test_texts_cycle_in_the_same_order_for_every_server():
    first, second = Texts(["a", "b", "c"]), Texts(["a", "b", "c"])
    assert first.take(4) == second.take(4)
    assert sorted(first.take(3)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--servers", "bentoml,torchserve"], "unknown server(s) torchserve"),
        (["--concurrency", "8,zero"], "expected comma-separated integers"),
        (["--seconds", "0"], "expected seconds > 0"),
        (["--texts-per-request", "2,3"], "expected an integer >= 1, got '2,3'"),
    ],
)
def test_bad_arguments_name_the_problem(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        run.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_a_given_model_needs_its_registry(monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(SystemExit):
        run.main(["--model-uri", "models:/troll-classifier/1"])
    assert "--model-uri needs MLFLOW_TRACKING_URI" in capsys.readouterr().err
