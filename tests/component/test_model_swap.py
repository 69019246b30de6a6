"""Hot model swap on real servers: `bentoml serve` follows its registry alias on the
session's `mlflow server`. A new champion from a training run is swapped in without a
restart and without a failed request; a candidate the gate refuses moves nothing; a
version that fails to load or to answer is refused while the served one goes on.

The alias here belongs to a model of its own (SWAP_MODEL), so the session's champion,
which other tests serve, never moves."""

import csv
import json
import re
import threading
import time
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from devstack.model_servers import run_cli, service_server
from model_service.registry import CHAMPION_ALIAS, alias_uri, version_uri
from model_service.settings import DEFAULT_DATA

SWAP_MODEL = "troll-classifier-swap"
POLL_SECONDS = 1
# New labelled rows, as the workbench would add them.
NEW_ROWS = [
    ("Fascinating how you always show up to defend the indefensible. Paid much?", 1),
    ("Fair point about the benchmarks; I had not considered the warm-up runs.", 0),
]
# A model that loads but answers nonsense, and one that cannot load (models from code).
ANSWERS_NONSENSE = """
import mlflow, pandas as pd
class Nonsense(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        rows = len(model_input)
        return pd.DataFrame({"label": ["banana"] * rows, "score": [7.0] * rows})
mlflow.models.set_model(Nonsense())
"""
CANNOT_LOAD = """
import mlflow
class Broken(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise RuntimeError("weights are corrupt")
    def predict(self, context, model_input, params=None):
        return model_input
mlflow.models.set_model(Broken())
"""


def model_info(server) -> dict:
    return httpx.post(f"{server.url}/model_info", json={}, timeout=30).json()


def every_worker_serves(server, version: str, timeout: float) -> bool:
    """True once 20 answers in a row (any worker may take each) report `version`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(model_info(server)["version"] == version for _ in range(20)):
            return True
        time.sleep(0.2)
    return False


def metric(server, name: str) -> dict[str, float]:
    """Samples of one metric from /metrics, by their label text."""
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    found = {}
    for match in re.finditer(rf"^{name}(\{{[^}}]*\}})? (\S+)$", text, re.M):
        found[match[1] or ""] = float(match[2])
    return found


class Traffic:
    """Classify requests in a loop until stopped: how many failed, and their latencies."""

    def __init__(self, server) -> None:
        self.server, self.failures, self.latencies = server, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                start = time.monotonic()
                answer = client.post(f"{self.server.url}/classify", json={"texts": ["hi there"]})
                self.latencies.append(time.monotonic() - start)
                if answer.status_code != 200:
                    self.failures.append(f"{answer.status_code} {answer.text[:200]}")

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


@pytest.fixture(scope="module")
def swap_env(model_env) -> dict[str, str]:
    return {**model_env, "TROLL_MODEL_NAME": SWAP_MODEL}


@pytest.fixture(scope="module")
def first_champion(champion, model_env) -> str:
    """The session's champion, copied to SWAP_MODEL as its first champion."""
    client = MlflowClient(model_env["MLFLOW_TRACKING_URI"])
    source = version_uri("troll-classifier", champion["train"]["version"])
    copied = client.copy_model_version(source, SWAP_MODEL)
    client.set_registered_model_alias(SWAP_MODEL, CHAMPION_ALIAS, copied.version)
    return str(copied.version)


@pytest.fixture(scope="module")
def watching(first_champion, swap_env, model_workdir):
    """`bentoml serve` of SWAP_MODEL's champion, checking the alias every second."""
    env = {
        **swap_env,
        "BENTOML_HOME": str(model_workdir / "bentoml-swap"),
        "TROLL_MODEL_POLL_SECONDS": str(POLL_SECONDS),
    }
    server = service_server(alias_uri(SWAP_MODEL, CHAMPION_ALIAS), model_workdir / "swap.log", env)
    try:
        server.start().wait_for("/readyz", timeout=600)
        yield server
    finally:
        server.stop()


def test_a_trained_and_promoted_champion_is_swapped_in_without_a_restart(
    watching, first_champion, swap_env, tmp_path: Path
) -> None:
    assert model_info(watching)["version"] == first_champion
    pid = watching.process.pid
    data = tmp_path / "comments.csv"
    data.write_text(DEFAULT_DATA.read_text())
    with data.open("a", newline="") as out:
        csv.writer(out).writerows((text, label, "new") for text, label in NEW_ROWS)
    trained = json.loads(run_cli("train", "--data", str(data), env=swap_env).stdout)
    with Traffic(watching) as traffic:
        run_cli("promote", "--version", trained["version"], "--data", str(data), env=swap_env)
        promoted_at = time.monotonic()
        assert every_worker_serves(watching, trained["version"], timeout=120), watching.log_tail()
        took = time.monotonic() - promoted_at
    p95 = sorted(traffic.latencies)[int(0.95 * len(traffic.latencies))] if traffic.latencies else 0
    print(
        f"\nswap seen {took:.1f}s after promotion; {len(traffic.latencies)} requests "
        f"meanwhile, p95 {p95 * 1000:.0f} ms"
    )
    assert traffic.failures == [] and traffic.latencies, traffic.failures[:5]
    assert watching.process.pid == pid and watching.process.poll() is None
    info = model_info(watching)
    assert (info["name"], info["run_id"]) == (SWAP_MODEL, trained["run_id"])
    versions = metric(watching, "troll_classifier_model_version_info")
    assert versions[f'{{name="{SWAP_MODEL}",version="{trained["version"]}"}}'] == 1
    assert versions[f'{{name="{SWAP_MODEL}",version="{first_champion}"}}'] == 0


def test_a_candidate_the_gate_refuses_moves_nothing(watching, swap_env, tmp_path: Path) -> None:
    served = model_info(watching)["version"]
    flipped = tmp_path / "flipped.csv"
    rows = list(csv.DictReader(DEFAULT_DATA.open()))
    with flipped.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "label": str(1 - int(row["label"]))} for row in rows)
    trained = json.loads(run_cli("train", "--data", str(flipped), env=swap_env).stdout)
    refused = run_cli("promote", "--version", trained["version"], env=swap_env, check=False)
    assert refused.returncode == 1, refused.stderr
    assert f"refused version {trained['version']}" in refused.stderr
    time.sleep(3 * POLL_SECONDS)
    assert model_info(watching)["version"] == served


@pytest.mark.parametrize(
    ("code", "reason"),
    [(ANSWERS_NONSENSE, "answered labels ['banana'"), (CANNOT_LOAD, "weights are corrupt")],
    ids=["answers-nonsense", "cannot-load"],
)
def test_a_broken_version_is_refused_and_the_served_one_goes_on(
    watching, swap_env, tmp_path: Path, code: str, reason: str
) -> None:
    """The alias moved by hand, past the gate: the server is the last line of defence."""
    served = model_info(watching)["version"]
    mlflow.set_tracking_uri(swap_env["MLFLOW_TRACKING_URI"])
    script = tmp_path / "broken_model.py"
    script.write_text(code)
    with mlflow.start_run():
        logged = mlflow.pyfunc.log_model(name="model", python_model=str(script))
    broken = mlflow.register_model(logged.model_uri, SWAP_MODEL).version
    client = MlflowClient(swap_env["MLFLOW_TRACKING_URI"])
    client.set_registered_model_alias(SWAP_MODEL, CHAMPION_ALIAS, broken)
    try:
        with Traffic(watching) as traffic:
            deadline = time.monotonic() + 120
            while f"version {broken}" not in (model_info(watching)["refused"] or ""):
                assert time.monotonic() < deadline, watching.log_tail()
                time.sleep(0.5)
            time.sleep(2 * POLL_SECONDS)  # both workers have had their turn
        info = model_info(watching)
        assert info["version"] == served and reason in info["refused"], info
        assert traffic.failures == [], traffic.failures[:5]
        refusals = metric(watching, "troll_classifier_model_refused_total")
        assert refusals[f'{{version="{broken}"}}'] >= 1, refusals
        assert f"refused version {broken}" in watching.log_tail(200_000)
    finally:
        client.set_registered_model_alias(SWAP_MODEL, CHAMPION_ALIAS, served)
