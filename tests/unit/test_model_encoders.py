"""The ONNX encoder backends against sentence-transformers on torch: the real model, really
exported (a few seconds), and loaded the way the logged model loads it."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling
from sklearn.linear_model import LogisticRegression

from model_service.model import onnx_export
from model_service.model.pyfunc import (
    SPINNING_ENV,
    THREADS_ENV,
    EncoderLoadError,
    OnnxEncoder,
    TrollModel,
    load_encoder,
)
from model_service.serving import runtime
from model_service.training import embedding

REPO = Path(__file__).resolve().parents[2]
# Around 200 and 400 word pieces: past the tokenizer file's own 128-token truncation, and
# past the model's max_seq_length 256.
LONG = ["word " * 200, "trolling " * 400]
LOAD_AND_REPORT_TORCH = """
import json, sys
from model_service.model.pyfunc import load_encoder
vectors = load_encoder("onnx", sys.argv[1]).encode(json.loads(sys.stdin.read()), 8)
print(json.dumps({"vectors": len(vectors), "torch_imported": "torch" in sys.modules}))
"""


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with (REPO / "model_service/data/comments.csv").open(encoding="utf-8", newline="") as f:
        rows = [row["text"] for row in csv.DictReader(f)]
    return rows[::5] + LONG + ["x", "Ünïcödé 中文 🙂 " * 20]


@pytest.fixture(scope="module")
def torch_encoder():
    return embedding.load_encoder("default", "torch", Path("unused"))


@pytest.fixture(scope="module")
def exported(torch_encoder, tmp_path_factory) -> dict[str, Path]:
    folders = {}
    for backend in ("onnx", "onnx-int8"):
        folder = tmp_path_factory.mktemp(backend)
        onnx_export.export(torch_encoder.model, folder, backend)
        folders[backend] = folder
    return folders


@pytest.fixture(scope="module")
def expected(torch_encoder, texts) -> np.ndarray:
    return torch_encoder.encode(texts, 32)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("batch_size", [1, 7, 32])
def test_onnx_fp32_matches_sentence_transformers(exported, texts, expected, batch_size) -> None:
    got = OnnxEncoder(exported["onnx"]).encode(texts, batch_size)
    assert got.shape == expected.shape == (len(texts), 384)
    assert cosines(got, expected).min() > 0.999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_onnx_truncates_at_max_seq_length(exported) -> None:
    encoder = OnnxEncoder(exported["onnx"])
    assert encoder.max_seq_length == 256
    lengths = [len(e.ids) for e in encoder.tokenizer.encode_batch(LONG)]
    assert lengths == [202, 256]
    # Words past the limit change nothing; words before it do.
    a, b, c = encoder.encode(["trolling " * 300, "trolling " * 400, "trolling " * 100], 8)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert cosines(a[None], c[None])[0] < 0.9999


def test_onnx_int8_agrees_with_torch(exported, texts, expected) -> None:
    got = OnnxEncoder(exported["onnx-int8"]).encode(texts, 32)
    agreement = cosines(got, expected)
    print(f"int8 vs torch cosine: min {agreement.min():.4f}, mean {agreement.mean():.4f}")
    # Measured 0.976 / 0.992 on the bundled data (per-channel weights); per-tensor was
    # 0.868 / 0.959.
    assert agreement.mean() > 0.985 and agreement.min() > 0.95
    assert (exported["onnx-int8"] / "model.onnx").stat().st_size < 0.3 * (
        exported["onnx"] / "model.onnx"
    ).stat().st_size


def test_loader_names_a_missing_onnx_file(exported, tmp_path) -> None:
    folder = tmp_path / "encoder"
    shutil.copytree(exported["onnx"], folder)
    (folder / "model.onnx").unlink()
    with pytest.raises(EncoderLoadError, match=rf"ONNX encoder file missing: {folder}/model.onnx"):
        load_encoder("onnx", folder)


def test_loader_names_a_corrupt_onnx_file(exported, tmp_path) -> None:
    folder = tmp_path / "encoder"
    shutil.copytree(exported["onnx"], folder)
    (folder / "model.onnx").write_bytes(b"not a model, truncated by a failed upload")
    with pytest.raises(EncoderLoadError, match=rf"cannot load ONNX encoder {folder}/model.onnx"):
        load_encoder("onnx", folder)


@pytest.mark.parametrize(
    ("name", "content"), [("onnx_encoder.json", "{}"), ("tokenizer.json", "{truncated")]
)
def test_loader_names_an_unreadable_companion_file(exported, tmp_path, name, content) -> None:
    folder = tmp_path / "encoder"
    shutil.copytree(exported["onnx"], folder)
    (folder / name).write_text(content)
    with pytest.raises(EncoderLoadError, match=rf"unreadable {folder}/{name}"):
        load_encoder("onnx", folder)


def test_loader_refuses_an_unknown_backend(tmp_path) -> None:
    with pytest.raises(
        EncoderLoadError, match="'tensorrt'; expected one of torch, onnx, onnx-int8"
    ):
        load_encoder("tensorrt", tmp_path)


def test_onnx_encoder_loads_without_torch(exported, texts) -> None:
    """A fresh process loading the ONNX encoder as the logged model does imports no torch."""
    probe = subprocess.run(
        [sys.executable, "-c", LOAD_AND_REPORT_TORCH, str(exported["onnx"])],
        input=json.dumps(texts[:8]),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    )
    assert json.loads(probe.stdout) == {"vectors": 8, "torch_imported": False}


def test_export_refuses_a_pooling_it_cannot_reproduce(torch_encoder, tmp_path) -> None:
    transformer = torch_encoder.model[0]
    cls_pooling = SentenceTransformer(modules=[transformer, Pooling(384, pooling_mode="cls")])
    with pytest.raises(onnx_export.ExportError, match="mean pooling.*pooling 'cls'"):
        onnx_export.export(cls_pooling, tmp_path, "onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_saved_artifacts_load_back_into_the_same_model(exported, texts, tmp_path) -> None:
    """What save_artifacts writes (and MLflow logs) is what load_context reads."""
    encoder = OnnxEncoder(exported["onnx-int8"])
    vectors = encoder.encode(texts, 32)
    labels = np.arange(len(texts)) % 2
    classifier = LogisticRegression().fit(vectors, labels)
    saved = TrollModel(encoder, classifier, threshold=0.3, batch_size=7)
    artifacts = saved.save_artifacts(tmp_path)
    loaded = TrollModel()
    loaded.load_context(SimpleNamespace(artifacts=artifacts))
    assert (loaded.threshold, loaded.batch_size, loaded.encoder.backend) == (0.3, 7, "onnx-int8")
    expected = saved.predict(None, texts)
    got = loaded.predict(None, texts)
    assert list(got["label"]) == list(expected["label"])
    np.testing.assert_allclose(got["score"], expected["score"], atol=1e-6)


def test_onnx_threads_come_from_the_runtime_budget(exported, monkeypatch) -> None:
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TOKENIZERS_PARALLELISM", raising=False)
    monkeypatch.delenv(THREADS_ENV, raising=False)
    runtime.limit_threads(runtime.threads_per_worker(workers=3, budget=6))
    options = OnnxEncoder(exported["onnx"]).session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)


def test_onnx_threads_do_not_spin_between_calls_unless_asked(exported, monkeypatch) -> None:
    monkeypatch.delenv(SPINNING_ENV, raising=False)
    options = OnnxEncoder(exported["onnx"]).session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setenv(SPINNING_ENV, "1")
    options = OnnxEncoder(exported["onnx"]).session.get_session_options()
    with pytest.raises(Exception, match="does not have configuration"):  # ORT's default: spin
        options.get_session_config_entry("session.intra_op.allow_spinning")
