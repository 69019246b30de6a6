"""A serving-only Python environment: what the model image installs, for tests that
prove the Bento runs without the training libraries."""

import os
import subprocess
import sys
from pathlib import Path

from devstack.paths import REPO_ROOT, TOOLS_BIN


def serving_venv(path: Path) -> Path:
    """A virtualenv with only model_service/requirements-serving.txt, what the image gets
    (from uv's cache, as toolchain/setup.sh fills it); returns its bin folder."""
    cache = Path(
        os.environ.get("MLOPS_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlops-platform"
    )
    env = {**os.environ, "UV_CACHE_DIR": str(cache / "uv"), "UV_PYTHON_DOWNLOADS": "never"}
    uv = str(TOOLS_BIN / "uv")
    requirements = REPO_ROOT / "model_service" / "requirements-serving.txt"
    for argv in (
        [uv, "venv", "-q", str(path), "--python", sys.executable],
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(path / "bin" / "python"),
            "-r",
            str(requirements),
        ],
    ):
        subprocess.run(argv, env=env, check=True, capture_output=True, text=True, timeout=900)
    return path / "bin"
