"""The monitoring chart's dashboards and alert rules query the metric names and
labels the served model really exposes: checked against a live /metrics scrape of
`bentoml serve` after real classifications."""

import re

import httpx
import pytest

from devstack import charts
from devstack.paths import chart_dir

# These render a subchart on its own, which needs the common library packaged into it.
pytestmark = pytest.mark.usefixtures("chart_dependencies")

# BentoML's own metrics and the service's (model_service/serving/service.py).
SERVICE_NAME = re.compile(r"\b(?:bentoml|troll_classifier)_[a-z_]+")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s")


def exposed_series(metrics_text: str) -> dict[str, set[str]]:
    """Sample name -> label names seen, from a Prometheus text exposition."""
    found: dict[str, set[str]] = {}
    for line in metrics_text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)=", match.group(2) or ""))
            found.setdefault(match.group(1), set()).update(labels)
    return found


def queried_names() -> set[str]:
    """Every bentoml_* and troll_classifier_* name in the rendered monitoring chart."""
    objects = charts.render(chart_dir("monitoring"), {})
    text = "\n".join(str(o.get("data", {})) for o in objects if o["kind"] == "ConfigMap")
    return set(SERVICE_NAME.findall(text))


def test_dashboards_and_alerts_use_metrics_the_service_exposes(classifier) -> None:
    # Real traffic first, so counters, histograms and the batch-size histogram exist.
    texts = {"texts": ["what a helpful answer, thanks", "you clowns never learn", "ok"]}
    for _ in range(3):
        httpx.post(f"{classifier.url}/classify", json=texts, timeout=60).raise_for_status()
    series = exposed_series(httpx.get(f"{classifier.url}/metrics", timeout=30).text)

    queried = queried_names()
    assert queried, "the monitoring chart queries no metric of the model service"
    assert "troll_classifier_batch_size" in queried, "the batch-size panel lost its metric"
    # A histogram's base name is queried with _bucket/_sum/_count appended.
    missing = sorted(n for n in queried if n not in series and f"{n}_bucket" not in series)
    assert not missing, f"queried but not exposed: {missing}\nexposed: {sorted(series)}"

    request_labels = series["bentoml_service_request_total"]
    assert {"endpoint", "http_response_code"} <= request_labels, request_labels
