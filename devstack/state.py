"""What a `make up` or `make model` run started, kept between runs so the next run
reuses it and `make status` / `make down` find it: ports, pids, URLs, the champion."""

import json
from pathlib import Path

from devstack.paths import run_dir

# Which path `make up` took, under PATH_KEY: CONTAINERS, or absent for local processes.
PATH_KEY, CONTAINERS = "path", "containers"


def state_dir() -> Path:
    """The run's folder ($MLOPS_RUN_DIR overrides): server data, logs, state.json."""
    return run_dir("platform", "MLOPS_RUN_DIR")


def load_state() -> dict:
    path = state_dir() / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(state: dict) -> None:
    path = state_dir() / "state.json"
    path.write_text(json.dumps(state))
    # It holds the PostgreSQL superuser password.
    path.chmod(0o600)
