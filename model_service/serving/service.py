"""The BentoML service: POST /classify, GET or POST /model_info, plus BentoML's /livez,
/readyz, /metrics and the OpenAPI document at /docs.json (api_document.py).

    bentoml serve model_service.serving.service:TrollClassifier

Settings come from TROLL_* variables (model_service/settings.py); TROLL_MODEL_URI picks the
model (default: the registry's champion, which needs MLFLOW_TRACKING_URI).
"""

import asyncio
import datetime
import logging
import threading
import time

import bentoml
import pandas as pd
from bentoml.exceptions import ServiceUnavailable

from model_service import registry
from model_service.serving import api_document, model_source, runtime
from model_service.serving.admission import POST, READ_ONLY, Admission
from model_service.serving.api_errors import ClearErrors
from model_service.serving.api_schema import (
    ModelInfo,
    Prediction,
    largest_body_bytes,
    texts_type,
)
from model_service.serving.batcher import Batcher, Overloaded
from model_service.serving.model_watch import ModelWatch
from model_service.settings import Settings

# Under "bentoml" so the server's logging configuration shows these lines.
log = logging.getLogger("bentoml.troll_classifier")
SETTINGS = Settings.from_env()
THREADS = runtime.threads_per_worker(SETTINGS.workers, SETTINGS.encoder_threads)
Texts = texts_type(SETTINGS)
RETRY_SECONDS = (2, 5, 10, 30)
# The API's routes and the methods each takes: /model_info only reads.
API_METHODS = {"/classify": POST, "/model_info": READ_ONLY}

predictions = bentoml.metrics.Counter(
    name="troll_classifier_predictions",
    documentation="Texts classified, by predicted label",
    labelnames=["label"],
)
batch_sizes = bentoml.metrics.Histogram(
    name="troll_classifier_batch_size",
    documentation="Texts per model call, after merging concurrent requests",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
# Per worker; "livemax" keeps the live workers' series, so during a swap both versions show.
served_version = bentoml.metrics.Gauge(
    name="troll_classifier_model_version_info",
    documentation="1 for the registered model version a worker serves, 0 once replaced",
    labelnames=["name", "version"],
    multiprocess_mode="livemax",
)
loaded_at = bentoml.metrics.Gauge(
    name="troll_classifier_model_loaded_timestamp_seconds",
    documentation="When the served model was loaded or last swapped in (Unix time)",
    multiprocess_mode="livemax",
)
refused_versions = bentoml.metrics.Counter(
    name="troll_classifier_model_refused",
    documentation="New model versions refused: they failed to load or to warm up",
    labelnames=["version"],
)


@bentoml.service(
    name="troll-classifier",
    # Two workers with one encoder thread each served 26% more texts/s on 2 cores than one
    # worker with two threads: each worker's event loop (HTTP, validation, metrics) then runs
    # beside a model call instead of queueing behind it. Each worker holds a model copy.
    workers=SETTINGS.workers,
    # Sync API calls would run in this pool; ours is async and hands batches to the batcher.
    threads=1,
    # Requests in flight beyond max_concurrency get 429 (BentoML splits it among workers):
    # about half a second of queue at the measured saturation, so bursts are not refused.
    traffic={"timeout": 60, "max_concurrency": 256},
    # Completes the OpenAPI document where BentoML writes less than the service answers.
    service_class=api_document.documented_service(API_METHODS, may_be_unavailable={"/classify"}),
)
class TrollClassifier:
    """Labels texts as trolling or not, with the probability of trolling.

    Requests carry JSON: `Content-Type: application/json`, parameters such as `charset=utf-8`
    allowed (a request without a Content-Type is read as JSON). Any other media type is
    refused with 415, `text/plain` carrying JSON included (browsers send it across origins
    without asking first), and so is a compressed body. A body longer than any valid
    request is refused unread with 413. Every refusal and failure is answered with
    `{"error": "...", "detail": [...]}`, where `error` names the problem and the field.
    """

    def __init__(self) -> None:
        runtime.limit_threads(THREADS)
        self._loaded: model_source.Loaded | None = None
        self._loaded_at: datetime.datetime | None = None
        self._error: str | None = "loading"
        self._refused: str | None = None
        self._ready = threading.Event()
        self._batcher = Batcher(
            self._predict, SETTINGS.max_batch_size, SETTINGS.max_latency_ms / 1000
        )
        # Load in the background so /livez answers at once and /readyz says false until
        # the model is there (a slow registry download must not fail liveness probes).
        threading.Thread(target=self._load, name="model-loader", daemon=True).start()

    def _load(self) -> None:
        attempt = 0
        while True:
            try:
                log.info("loading model from %s (encoder threads: %d)", SETTINGS.model_uri, THREADS)
                loaded = model_source.load(SETTINGS.model_uri)
                model_source.warm(loaded)
                self._swap(loaded)
                self._error = None
                self._ready.set()
                log.info("model ready: %s version %s", loaded.name, loaded.version)
                self._watch()
                return
            except Exception as exc:  # keep the server up and retry; /readyz stays false
                self._error = f"{type(exc).__name__}: {exc}"
                delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                log.error("cannot load %s (%s); retrying in %ss", SETTINGS.model_uri, exc, delay)
                attempt += 1
                time.sleep(delay)

    def _watch(self) -> None:
        """Follow the alias to new versions (never a fixed version or a baked model)."""
        if registry.is_alias(SETTINGS.model_uri) and SETTINGS.model_poll_seconds > 0:
            ModelWatch(
                SETTINGS.model_uri,
                SETTINGS.model_poll_seconds,
                serving=lambda: self._loaded,
                swap=self._swap,
                refuse=self._refuse,
            ).start()

    def _swap(self, loaded: model_source.Loaded) -> None:
        """Serve `loaded` from the next model call on; a batch in flight ends on the old."""
        replaced, self._loaded = self._loaded, loaded
        self._loaded_at = datetime.datetime.now(datetime.UTC)
        if replaced is not None:
            served_version.labels(name=replaced.name or "", version=replaced.version or "").set(0)
        served_version.labels(name=loaded.name or "", version=loaded.version or "").set(1)
        loaded_at.set(self._loaded_at.timestamp())

    def _refuse(self, version: str, reason: str) -> None:
        self._refused = f"version {version}: {reason}"
        refused_versions.labels(version=version).inc()

    def __is_ready__(self) -> bool:
        return self._loaded is not None

    @bentoml.api
    async def classify(self, texts: Texts) -> list[Prediction]:
        """Label each text `troll` or `not_troll`, with the probability of trolling."""
        if self._loaded is None:
            # /readyz is answered by whichever worker takes it, so a Ready server may still
            # have a worker loading its copy: wait for it as long as a queued request may.
            await asyncio.to_thread(self._ready.wait, SETTINGS.max_latency_ms / 1000)
        if self._loaded is None:
            raise ServiceUnavailable(f"the model is not loaded yet ({self._error})")
        try:
            return await self._batcher(texts)
        except Overloaded as exc:
            raise ServiceUnavailable(str(exc)) from None

    def _predict(self, texts: list[str]) -> list[Prediction]:
        """One model call for a merged batch (in the batcher's thread)."""
        batch_sizes.observe(len(texts))
        frame = self._loaded.model.predict(pd.DataFrame({"text": texts}))
        results = [
            Prediction(label=label, score=score)
            for label, score in zip(frame["label"], frame["score"], strict=True)
        ]
        for result in results:
            predictions.labels(label=result.label).inc()
        return results

    @bentoml.api(route="/model_info")
    def model_info(self) -> ModelInfo:
        """Which model is served (registry name, version, run), or why none is yet."""
        loaded = self._loaded
        if loaded is None:
            return ModelInfo(ready=False, source=SETTINGS.model_uri, error=self._error)
        return ModelInfo(
            ready=True,
            source=loaded.source,
            name=loaded.name,
            version=loaded.version,
            run_id=loaded.run_id,
            loaded_at=self._loaded_at.isoformat(timespec="seconds"),
            refused=self._refused,
        )


# The first added runs first: refuse what BentoML cannot read, then word BentoML's errors.
TrollClassifier.add_asgi_middleware(
    Admission, methods=API_METHODS, max_body_bytes=largest_body_bytes(SETTINGS)
)
TrollClassifier.add_asgi_middleware(ClearErrors)
# BentoML derives a list output's content type from its JSON schema, generated anew for every
# response (about a third of the event loop's time under load, measured with py-spy); the
# answer is always JSON, so say so once.
TrollClassifier.apis["classify"].output_spec.media_type = "application/json"
