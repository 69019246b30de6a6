"""The troll classifier through the model_service CLI against the run's MLflow: trained,
registered and promoted through the quality gate (`make up`), packaged as a Bento
(`make model`, what CI turns into the image)."""

import json
import os

from devstack.console import say
from devstack.model_servers import QUIET_ENV, run_cli
from devstack.paths import BENTO_PATH_FILE
from devstack.state import save_state, state_dir


def model_env(mlflow_url: str) -> dict[str, str]:
    """Environment for the CLI and the model server: the run's MLflow and BentoML home."""
    return {
        **os.environ,
        **QUIET_ENV,
        "MLFLOW_TRACKING_URI": mlflow_url,
        "BENTOML_HOME": str(state_dir() / "bentoml"),
    }


def train_champion(env: dict[str, str], state: dict) -> dict:
    """Train, register and promote through the gate, once per run state."""
    if state.get("champion"):
        return state["champion"]
    say("training the troll classifier (embeddings + SVM; a minute or two)")
    trained = json.loads(run_cli("train", env=env).stdout)
    say(f"registered version {trained['version']}; promoting through the quality gate")
    promoted = json.loads(run_cli("promote", "--version", str(trained["version"]), env=env).stdout)
    state["champion"] = {"version": trained["version"], "promote": promoted}
    save_state(state)
    return state["champion"]


def build_bento(env: dict[str, str]) -> str:
    """A Bento with the champion baked in; its path is written to BENTO_PATH_FILE."""
    say("building the Bento with the champion baked in")
    built = json.loads(run_cli("build", env=env).stdout)
    BENTO_PATH_FILE.parent.mkdir(exist_ok=True)
    BENTO_PATH_FILE.write_text(built["path"] + "\n")
    return built["path"]
