"""The benchmark's peers serve the same registered model as our service: `mlflow models
serve` and the plain FastAPI app answer the same labels and scores for the same texts."""

import httpx
import pytest

from benchmarks.servers import BENTOML, FASTAPI, MLFLOW, memory_mib
from model_service.registry import CHAMPION_URI

TEXTS = [
    "Only an idiot would believe that, but go ahead and prove you are one.",
    "I see your point, but the numbers in the second study suggest otherwise.",
    "lol cope harder, nobody asked",
]


def _classify(kind, url: str) -> list[tuple[str, float]]:
    api = kind.api
    response = httpx.post(url + api.path, json=api.body(TEXTS), timeout=120)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert api.count(payload) == len(TEXTS)
    rows = payload["predictions"] if kind is MLFLOW else payload
    return [(row["label"], row["score"]) for row in rows]


@pytest.mark.parametrize("peer", [MLFLOW, FASTAPI], ids=lambda kind: kind.name)
def test_peer_answers_like_our_service(peer, classifier, champion, model_env, model_workdir):
    ours = _classify(BENTOML, classifier.url)
    server = peer.server(CHAMPION_URI, model_env, model_workdir / "peers")
    try:
        server.start().wait_for(peer.ready_path, timeout=600)
        theirs = _classify(peer, server.url)
    finally:
        server.stop()
    assert [label for label, _ in theirs] == [label for label, _ in ours]
    assert [score for _, score in theirs] == pytest.approx([score for _, score in ours], abs=1e-5)


def test_memory_counts_every_process_of_a_server(classifier):
    memory = memory_mib(classifier)
    # BentoML's worker holds the model (hundreds of MiB); PSS never exceeds RSS.
    assert memory["pss_mib"] > 200
    assert memory["rss_mib"] >= memory["pss_mib"]
