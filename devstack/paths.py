"""Where the project's files and pinned tools live, and where local runs keep state."""

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
CHARTS_DIR = REPO_ROOT / "charts"
# The umbrella chart. Its subcharts live as folders in its charts/, so
# `helm install mlops ./charts/platform` works from a clone with no build step.
PLATFORM_CHART = CHARTS_DIR / "platform"
SUBCHARTS_DIR = PLATFORM_CHART / "charts"
PROFILES_DIR = REPO_ROOT / "values"
# The profile `make up` installs.
LOCAL_PROFILE = PROFILES_DIR / "local.yaml"
# Where `make model` leaves the path of the Bento it built (ci/ and the image build read it).
BENTO_PATH_FILE = REPO_ROOT / ".run" / "bento-path"


def chart_dir(name: str) -> Path:
    """The folder of a chart by name: the umbrella or one of its subcharts."""
    return PLATFORM_CHART if name == PLATFORM_CHART.name else SUBCHARTS_DIR / name


def tool(name: str) -> Path:
    """Path of a pinned tool installed by toolchain/setup.sh; fails loudly if missing."""
    path = TOOLS_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make setup` to install the pinned tools")
    return path


def cache_dir() -> Path:
    """The toolchain's cache (toolchain/setup.sh), Go's caches included."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlops-platform"
    return Path(os.environ.get("MLOPS_CACHE") or default)


def recorded_bento() -> Path | None:
    """The Bento `make model` recorded, while it is still there."""
    if BENTO_PATH_FILE.is_file():
        path = Path(BENTO_PATH_FILE.read_text().strip())
        if (path / "bento.yaml").is_file():
            return path
    return None


def pinned(name: str) -> str:
    """A version pinned in toolchain/versions.env (NAME=value lines)."""
    for line in (REPO_ROOT / "toolchain" / "versions.env").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    raise LookupError(f"{name} is not set in toolchain/versions.env")


def run_dir(kind: str, override_env: str) -> Path:
    """A state folder outside the checkout, keyed by it ($override_env wins).

    Outside: a server run as another user (PostgreSQL under root) must reach it. Keyed:
    two clones never share state, and a crashed run's leftovers are found again by the
    next run of the same checkout.
    """
    key = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:8]
    return Path(os.environ.get(override_env, _default_run_dir(kind, key)))


def every_checkouts_run_dirs(kind: str) -> list[Path]:
    """The default state folders of `kind` that any checkout of this project made here."""
    pattern = _default_run_dir(kind, "*")
    return sorted(pattern.parent.glob(pattern.name))


def _default_run_dir(kind: str, key: str) -> Path:
    return Path("/tmp") / f"mlops-{kind}-{os.getuid()}-{key}"
