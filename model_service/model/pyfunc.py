"""The logged MLflow model: raw text in, label and score out (encoder + SVM in one).

Logged as MLflow "models from code" (model/saving.py): MLflow keeps this file with the model
and runs it on load, so no class is pickled and loading does not need the model_service
package. Keep it self-contained: no model_service imports; the package imports from here.

The encoder is one of two backends with the same output (unit-length sentence vectors):
sentence-transformers on torch, or an ONNX export run by ONNX Runtime, which loads with
tokenizers + onnxruntime + numpy only, so a serving image without torch can load it.
"""

import contextlib
import json
import os
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

TROLL, NOT_TROLL = "troll", "not_troll"
# How the encoder runs: sentence-transformers on torch, or its ONNX export (fp32 or int8
# weights) on ONNX Runtime. `train` checks TROLL_ENCODER_BACKEND against this.
ENCODER_BACKENDS = ("torch", "onnx", "onnx-int8")
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
ONNX_CONFIG = "onnx_encoder.json"
# Encoder threads: Settings.encoder_threads, resolved by serving/runtime.py from the CPU
# budget (cgroup-aware) and written back here; unset or 0, each library picks its default.
THREADS_ENV = "TROLL_ENCODER_THREADS"
# "1" lets ONNX Runtime's threads spin between calls (its default), which wastes the cores
# a server's event loop needs (see OnnxEncoder).
SPINNING_ENV = "TROLL_ENCODER_SPINNING"


class EncoderLoadError(RuntimeError):
    """An encoder that cannot be loaded; the message names the file or the backend."""


def encoder_threads() -> int | None:
    raw = os.environ.get(THREADS_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


class TorchEncoder:
    """sentence-transformers on torch: the library the model was trained with."""

    backend = "torch"

    def __init__(self, model) -> None:
        import torch

        self.model = model
        if threads := encoder_threads():
            torch.set_num_threads(threads)
            with contextlib.suppress(RuntimeError):  # it may be set only once per process
                torch.set_num_interop_threads(1)

    @classmethod
    def load(cls, path: str | Path) -> "TorchEncoder":
        from sentence_transformers import SentenceTransformer

        return cls(SentenceTransformer(str(path), device="cpu"))

    def encode(self, texts: list[str], batch_size: int, progress: bool = False) -> np.ndarray:
        return self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )

    def save(self, folder: Path) -> None:
        self.model.save(str(folder))


class OnnxEncoder:
    """The same vectors from an ONNX export of the transformer: tokenizers for the ids,
    ONNX Runtime for the token embeddings, then sentence-transformers' mean pooling over
    the attention mask and L2 normalisation in numpy."""

    def __init__(self, folder: str | Path, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        for name in (ONNX_CONFIG, TOKENIZER_FILE, ONNX_FILE):
            if not (self.folder / name).is_file():
                raise EncoderLoadError(f"ONNX encoder file missing: {self.folder / name}")
        try:
            config = json.loads((self.folder / ONNX_CONFIG).read_text())
            self.backend = config["backend"]
            self.max_seq_length = int(config["max_seq_length"])
            self.pad_id = int(config["pad_id"])
            self.dimension = int(config["dimension"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EncoderLoadError(f"unreadable {self.folder / ONNX_CONFIG}: {exc!r}") from exc
        try:
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        except Exception as exc:  # tokenizers raises a bare Exception
            raise EncoderLoadError(f"unreadable {self.folder / TOKENIZER_FILE}: {exc}") from exc
        # The file's own settings are not sentence-transformers' (all-MiniLM-L6-v2's pads
        # every text to 128 tokens and truncates there): truncate at max_seq_length, pad
        # per batch below.
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or encoder_threads() or 0  # 0: ORT's default
        options.inter_op_num_threads = 1
        if os.environ.get(SPINNING_ENV, "0") != "1":
            # Idle ORT threads otherwise spin for a while after each call, burning the cores
            # that the server's event loop needs (measured: docs/benchmarks.md).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own types per failure; name the file
            raise EncoderLoadError(
                f"cannot load ONNX encoder {self.folder / ONNX_FILE}: {exc}"
            ) from exc
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int, progress: bool = False) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        # Longest first, as sentence-transformers does: similar lengths pad less.
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(encodings), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._embed([encodings[i] for i in rows])
        return out

    def _embed(self, encodings: list) -> np.ndarray:
        length = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), length), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        tokens = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in (ONNX_FILE, TOKENIZER_FILE, ONNX_CONFIG):
            shutil.copy2(self.folder / name, folder / name)


def load_encoder(backend: str, path: str | Path):
    if backend == "torch":
        return TorchEncoder.load(path)
    if backend in ENCODER_BACKENDS:
        return OnnxEncoder(path)
    raise EncoderLoadError(
        f"unknown encoder backend {backend!r}; expected one of {', '.join(ENCODER_BACKENDS)}"
    )


class TrollModel(PythonModel):
    def __init__(self, encoder=None, classifier=None, threshold: float = 0.5, batch_size=32):
        self.encoder = encoder
        self.classifier = classifier
        self.threshold = threshold
        self.batch_size = batch_size

    def save_artifacts(self, folder: Path) -> dict[str, str]:
        """Write the parts into folder; returns MLflow's artifacts mapping, which MLflow
        hands back to load_context."""
        import joblib

        encoder = folder / "encoder"
        self.encoder.save(encoder)
        classifier = folder / "classifier.joblib"
        joblib.dump(self.classifier, classifier)
        config = folder / "config.json"
        config.write_text(
            json.dumps(
                {
                    "threshold": self.threshold,
                    "batch_size": self.batch_size,
                    "encoder_backend": self.encoder.backend,
                }
            )
        )
        return {"encoder": str(encoder), "classifier": str(classifier), "config": str(config)}

    def load_context(self, context) -> None:
        """The parts save_artifacts wrote, from the logged model's artifacts."""
        import joblib

        config = json.loads(Path(context.artifacts["config"]).read_text())
        self.threshold = config["threshold"]
        self.batch_size = config["batch_size"]
        # Models logged before backends existed carry no key: they are torch.
        backend = config.get("encoder_backend", "torch")
        self.encoder = load_encoder(backend, context.artifacts["encoder"])
        self.classifier = joblib.load(context.artifacts["classifier"])

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        # Unit-length vectors: what the SVM was trained on, here and in training alike.
        return self.encoder.encode(list(texts), self.batch_size, progress)

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
