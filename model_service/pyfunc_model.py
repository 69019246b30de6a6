"""The logged MLflow model: raw text in, label and score out (encoder + SVM in one).

Logged as MLflow "models from code": MLflow keeps this file with the model and runs it on
load, so no class is pickled and loading does not need the model_service package. Keep it
self-contained: no model_service imports.
"""

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

TROLL, NOT_TROLL = "troll", "not_troll"


class TrollModel(PythonModel):
    def __init__(self, encoder=None, classifier=None, threshold: float = 0.5, batch_size=32):
        self.encoder = encoder
        self.classifier = classifier
        self.threshold = threshold
        self.batch_size = batch_size

    def load_context(self, context) -> None:
        import joblib
        from sentence_transformers import SentenceTransformer

        config = json.loads(Path(context.artifacts["config"]).read_text())
        self.threshold = config["threshold"]
        self.batch_size = config["batch_size"]
        self.encoder = SentenceTransformer(context.artifacts["encoder"], device="cpu")
        self.classifier = joblib.load(context.artifacts["classifier"])

    def config(self) -> dict:
        return {"threshold": self.threshold, "batch_size": self.batch_size}

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        # Unit-length vectors: what the SVM was trained on, here and in training alike.
        return self.encoder.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )

    def score_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Probability of trolling for each row."""
        return self.classifier.predict_proba(embeddings)[:, 1]

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        texts = _texts(model_input)
        scores = self.score_embeddings(self.embed(texts)) if texts else np.empty(0)
        labels = np.where(scores >= self.threshold, TROLL, NOT_TROLL)
        return pd.DataFrame({"label": labels, "score": scores.astype(float)})


def _texts(model_input) -> list[str]:
    if isinstance(model_input, pd.DataFrame):
        column = "text" if "text" in model_input.columns else model_input.columns[0]
        return model_input[column].astype(str).tolist()
    if isinstance(model_input, pd.Series):
        return model_input.astype(str).tolist()
    if isinstance(model_input, str):
        return [model_input]
    return [str(text) for text in model_input]


mlflow.models.set_model(TrollModel())
