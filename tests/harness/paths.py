"""Where the project's files and pinned tools live."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
CHARTS_DIR = REPO_ROOT / "charts"
PROFILES_DIR = REPO_ROOT / "values"


def tool(name: str) -> Path:
    """Path of a pinned tool installed by toolchain/setup.sh; fails loudly if missing."""
    path = TOOLS_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make setup` to install the pinned tools")
    return path


def pinned(name: str) -> str:
    """A version pinned in toolchain/versions.env (NAME=value lines)."""
    for line in (REPO_ROOT / "toolchain" / "versions.env").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    raise LookupError(f"{name} is not set in toolchain/versions.env")
