"""Static binaries from a Go module at a pinned version, built in a wrapper module so
the target's own `replace` directives apply (`go install pkg@version` refuses modules
that have them). Go's caches are the toolchain's (toolchain/setup.sh)."""

import json
import os
import re
import subprocess
from pathlib import Path

from devstack.images.docker import stream


def go_env(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GOMODCACHE": str(cache / "go" / "mod"),
        "GOCACHE": str(cache / "go" / "build"),
        "GOFLAGS": "-modcacherw",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


def go_version() -> str:
    return subprocess.run(
        ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout.strip()


def download(module: str, version: str, env: dict[str, str]) -> dict:
    """`go mod download -json`: the module's source folder and go.mod in the cache."""
    result = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    info = json.loads(result.stdout or "{}")
    if result.returncode != 0 or "Dir" not in info:
        raise RuntimeError(
            f"cannot fetch {module}@{version} from the Go module proxy: "
            f"{info.get('Error') or result.stderr.strip()}"
        )
    return info


def build_binaries(
    module: str, version: str, packages: dict[str, str], out: Path, *, cache: Path, ldflags: str
) -> Path:
    """Build {binary name: package} of module@version into `out`; returns the module's
    source folder (for files the image copies from it)."""
    env = go_env(cache)
    info = download(module, version, env)
    replaces = re.findall(r"^replace .*$", Path(info["GoMod"]).read_text(), flags=re.M)
    wrapper = out / "wrapper"
    wrapper.mkdir(parents=True, exist_ok=True)
    (wrapper / "go.mod").write_text(
        "module local.build/wrapper\n\ngo 1.25\n\n"
        f"require {module} {version}\n\n" + "\n".join(replaces) + "\n"
    )
    stream(
        ["go", "get", *(f"{p}@{version}" for p in packages.values())],
        prefix=f"go get {module}",
        cwd=wrapper,
        env=env,
    )
    for name, package in packages.items():
        stream(
            [
                "go",
                "build",
                "-v",
                "-trimpath",
                "-ldflags",
                f"-s -w {ldflags}",
                "-o",
                out / name,
                package,
            ],
            prefix=f"go build {name}",
            cwd=wrapper,
            env=env,
        )
    return Path(info["Dir"])
