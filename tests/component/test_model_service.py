"""`bentoml serve` of the service, loading the champion from the registry, over HTTP."""

import httpx
import pytest

from devstack.processes import wait_until
from model_service.registry import MODEL_NAME

TROLLS = [
    "You're a clueless moron and everyone in this thread knows it.",
    "Imagine being this wrong and still posting. Pathetic.",
]
FRIENDLY = [
    "Thanks for the detailed answer, it fixed my build.",
    "I see your point, but I think the study only shows correlation, not causation.",
]

# (case, request, status, message the error must contain); the list in docs/model-service.md.
BAD_INPUTS = [
    ("empty list", {"json": {"texts": []}}, 400, "texts: empty list: send at least one text"),
    ("empty text", {"json": {"texts": ["ok", ""]}}, 400, "texts[1]: text is empty or only"),
    ("whitespace text", {"json": {"texts": [" \n\t "]}}, 400, "texts[0]: text is empty or only"),
    (
        "text over the limit",
        {"json": {"texts": ["x" * 1001]}},
        400,
        "texts[0]: text is 1001 characters long; the limit is 1000",
    ),
    (
        "too many texts",
        {"json": {"texts": ["hi"] * 65}},
        400,
        "texts: 65 items; at most 64 per request",
    ),
    ("number as text", {"json": {"texts": ["ok", 42]}}, 400, "texts[1]: must be a string"),
    ("null as text", {"json": {"texts": [None]}}, 400, "texts[0]: must be a string"),
    ("string, not list", {"json": {"texts": "hello"}}, 400, "texts: must be a list of strings"),
    ("missing field", {"json": {"text": ["hello"]}}, 400, "texts: missing field"),
    ("list body", {"json": ["hello"]}, 400, "the body must be a JSON object"),
    ("malformed JSON", {"content": b'{"texts": ["a"'}, 400, "the body is not valid JSON"),
    ("empty body", {"content": b""}, 400, "texts: missing field"),
    (
        "pickle body",
        {"content": b"x", "headers": {"content-type": "application/vnd.bentoml+pickle"}},
        415,
        "application/vnd.bentoml+pickle is not allowed",
    ),
    (
        "JSON sent as text",
        {"content": b'{"texts": ["hi"]}', "headers": {"content-type": "text/plain"}},
        415,
        "Content-Type text/plain is not allowed: send application/json",
    ),
    (
        "multipart without a boundary",
        {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
        415,
        "Content-Type multipart/form-data is not allowed",
    ),
    (
        "form body",
        {"data": {"texts": "hi"}, "headers": {"content-type": "application/x-www-form-urlencoded"}},
        415,
        "Content-Type application/x-www-form-urlencoded is not allowed",
    ),
    (
        "compressed body",
        {
            "content": b"x",
            "headers": {"content-type": "application/json", "content-encoding": "gzip"},
        },
        415,
        "Content-Encoding gzip is not supported",
    ),
    (
        "body too long",
        {"content": b'{"texts": ["' + b"x" * 800_000 + b'"]}'},
        413,
        "the body is over 772352 bytes",
    ),
]


def classify(server, texts: list[str]) -> list[dict]:
    response = httpx.post(f"{server.url}/classify", json={"texts": texts}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_classify_returns_a_label_and_score_per_text(classifier) -> None:
    results = classify(classifier, TROLLS + FRIENDLY)
    assert [r["label"] for r in results] == ["troll"] * 2 + ["not_troll"] * 2, results
    assert all(0 <= r["score"] <= 1 for r in results)
    assert min(r["score"] for r in results[:2]) > max(r["score"] for r in results[2:])


def test_probes_metrics_and_openapi(classifier, champion) -> None:
    assert httpx.get(f"{classifier.url}/livez").status_code == 200
    assert httpx.get(f"{classifier.url}/readyz").status_code == 200
    classify(classifier, FRIENDLY[:1])
    metrics = httpx.get(f"{classifier.url}/metrics").text
    assert 'troll_classifier_predictions_total{label="not_troll"}' in metrics
    assert "bentoml_service_request_total" in metrics
    openapi = httpx.get(f"{classifier.url}/docs.json").json()
    assert "/classify" in openapi["paths"]
    info = httpx.post(f"{classifier.url}/model_info", json={}).json()
    assert info["ready"] is True
    assert (info["name"], info["version"]) == (MODEL_NAME, champion["train"]["version"])
    assert info["run_id"] == champion["train"]["run_id"]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_gets_a_4xx_naming_the_problem(classifier, request_kwargs, status, message):
    kwargs = {"headers": {"content-type": "application/json"}, **request_kwargs}
    response = httpx.post(f"{classifier.url}/classify", timeout=60, **kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"], response.text
    assert classifier.process.poll() is None, "the server died"


def test_a_good_request_beside_a_bad_one_in_the_same_batch_window(classifier) -> None:
    # Validation happens per request, before batching: a bad neighbour cannot fail this one.
    with httpx.Client(base_url=classifier.url, timeout=120) as client:
        bad = client.post("/classify", json={"texts": [""]})
        good = client.post("/classify", json={"texts": TROLLS[:1]})
    assert bad.status_code == 400 and good.status_code == 200


def test_not_ready_until_the_model_loads(unready_classifier) -> None:
    # An alias that does not exist: the server stays up, says why, and never turns ready.
    server = unready_classifier
    assert httpx.get(f"{server.url}/readyz").status_code == 503

    def model_info() -> dict:
        return httpx.post(f"{server.url}/model_info", json={}, timeout=60).json()

    # The first load attempt runs in the background; wait for its verdict.
    wait_until(lambda: model_info()["error"] != "loading", 300, "the first load attempt")
    info = model_info()
    assert info["ready"] is False and "no-such-alias" in info["error"], info
    assert httpx.get(f"{server.url}/model_info", timeout=60).json() == info
    assert httpx.get(f"{server.url}/readyz").status_code == 503
    response = httpx.post(f"{server.url}/classify", json={"texts": ["hi"]}, timeout=60)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "the model is still loading" in response.json()["error"]


def test_a_restart_keeps_serving_the_same_champion(classifier) -> None:
    before_info = httpx.post(f"{classifier.url}/model_info", json={}).json()
    before = classify(classifier, TROLLS + FRIENDLY)
    classifier.stop()
    classifier.start().wait_for("/readyz", timeout=600)
    after_info = httpx.post(f"{classifier.url}/model_info", json={}).json()
    assert after_info["loaded_at"] > before_info["loaded_at"]  # ISO 8601 UTC: sorts by time
    assert {**after_info, "loaded_at": None} == {**before_info, "loaded_at": None}
    after = classify(classifier, TROLLS + FRIENDLY)
    assert [r["label"] for r in after] == [r["label"] for r in before]
    assert [r["score"] for r in after] == pytest.approx([r["score"] for r in before], abs=1e-6)
