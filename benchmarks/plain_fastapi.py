"""The peer a user might write by hand: FastAPI, one prediction per request, no batching.

    TROLL_MODEL_URI=models:/troll-classifier/1 uvicorn benchmarks.plain_fastapi:app

Loads the registered model the same way the BentoML service does, with the same encoder
thread budget, so the benchmark compares serving paths and not model loading.
"""

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

from model_service.serving import model_source, runtime
from model_service.settings import Settings

SETTINGS = Settings.from_env()
runtime.limit_threads(runtime.threads_per_worker(SETTINGS.workers, SETTINGS.encoder_threads))
MODEL = model_source.load(SETTINGS.model_uri).model

app = FastAPI(title="troll classifier, plain FastAPI")


class Request(BaseModel):
    texts: list[str]


class Prediction(BaseModel):
    label: str
    score: float


@app.get("/ping")
def ping() -> dict:
    return {"ready": True}


@app.post("/classify")
def classify(request: Request) -> list[Prediction]:
    # A sync handler: FastAPI runs it in its thread pool, one request per model call.
    frame = MODEL.predict(pd.DataFrame({"text": request.texts}))
    return [
        Prediction(label=label, score=score)
        for label, score in zip(frame["label"], frame["score"], strict=True)
    ]
