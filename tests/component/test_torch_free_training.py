"""Training without torch, as the training image does it: `export-encoder` writes the
encoder folder once (where torch is installed); `train` with TROLL_EMBEDDING_MODEL set to
that folder runs in a process where torch, sentence-transformers and transformers cannot
be imported, on the session's real MLflow, and logs the same model the usual route does."""

import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from devstack.model_servers import run_cli
from devstack.paths import REPO_ROOT
from model_service.registry import version_uri

MODEL = "troll-classifier-torch-free"

# The CLI with the torch stack made unimportable, as in the training image (libraries
# that only probe sys.modules for torch see it absent, as there).
WITHOUT_TORCH = """
import sys

class NoTorchStack:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"torch", "sentence_transformers", "transformers"}:
            raise ImportError(f"{name} is not installed in the training image")
        return None

sys.meta_path.insert(0, NoTorchStack())
from model_service.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def encoder(model_env, model_workdir) -> tuple[Path, dict]:
    out = model_workdir / "exported-encoder"
    exported = json.loads(run_cli("export-encoder", "--out", str(out), env=model_env).stdout)
    return out, exported


def run_without_torch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_the_exported_encoder_folder_holds_what_serving_loads(encoder) -> None:
    folder, exported = encoder
    assert exported["backend"] == "onnx-int8" and exported["dimension"] == 384
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.onnx",
        "onnx_encoder.json",
        "tokenizer.json",
    ]


def test_training_with_it_needs_no_torch_and_matches_the_usual_route(
    encoder, champion, model_env
) -> None:
    folder, _ = encoder
    env = {**model_env, "TROLL_EMBEDDING_MODEL": str(folder), "TROLL_MODEL_NAME": MODEL}
    result = run_without_torch("train", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    trained = json.loads(result.stdout)
    # The same int8 encoder embeds the same vectors: the seeded search picks the same SVM.
    assert trained["best_params"] == champion["train"]["best_params"]
    assert trained["test"]["f1"] == pytest.approx(champion["train"]["test"]["f1"], abs=1e-9)
    mlflow.set_tracking_uri(model_env["MLFLOW_TRACKING_URI"])
    model = mlflow.artifacts.download_artifacts(version_uri(MODEL, trained["version"]))
    requirements = (Path(model) / "requirements.txt").read_text()
    assert "onnxruntime==" in requirements and "torch" not in requirements


def test_a_folder_of_another_backend_is_refused_by_name(encoder, model_env) -> None:
    folder, _ = encoder
    env = {**model_env, "TROLL_EMBEDDING_MODEL": str(folder), "TROLL_ENCODER_BACKEND": "onnx"}
    result = run_without_torch("train", "--no-register", env=env)
    assert result.returncode == 1
    assert f"{folder} holds an exported onnx-int8 encoder" in result.stderr
    assert "TROLL_ENCODER_BACKEND=onnx-int8" in result.stderr


def test_export_refuses_a_folder_that_is_not_empty(encoder, model_env) -> None:
    folder, _ = encoder
    result = run_cli("export-encoder", "--out", str(folder), env=model_env, check=False)
    assert result.returncode == 1
    assert f"{folder} is not empty" in result.stderr
