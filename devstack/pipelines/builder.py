"""The pipelines' image builder: BuildKit's daemon in the arm64 emulation namespaces
(emulation.py), reached by `docker buildx` as a `remote` builder, so the pipelines'
own `docker buildx build --platform linux/amd64,linux/arm64 ... --push` runs unchanged.

No registry outside is reachable, so BuildKit takes docker.io's images (FROM
python:3.11-slim-bookworm) from the run's registry: base_images.py puts there a Debian
and a Python image of both architectures, built here. Its build cache lives in the
toolchain's cache, so a second run reuses every unchanged layer.
"""

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.paths import cache_dir, tool
from devstack.pipelines import emulation
from devstack.pipelines.registry import Registry
from devstack.processes import alive, stop

BUILDER = "mlops-pipelines"
PLATFORMS = ("linux/amd64", "linux/arm64")
# What BuildKit may keep of its cache between runs.
MAX_CACHE = "30GB"

CONFIG = """\
[worker.oci]
  enabled = true
  binary = "runc"
  platforms = {platforms}
  networkMode = "host"
  gc = true
  maxUsedSpace = "{max_cache}"

[worker.containerd]
  enabled = false

# docker.io's images come from the run's registry (nothing else is reachable).
[registry."docker.io"]
  mirrors = ["{registry}"]

[registry."{registry}"]
  http = true
"""


@dataclass(frozen=True)
class Builder:
    env: dict[str, str]  # DOCKER_CONFIG and BUILDX_BUILDER: what `docker buildx` needs

    def buildx(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "buildx", *args], env={**os.environ, **self.env}, check=True, **kwargs
        )


def docker_config(run: Path) -> Path:
    """A Docker client configuration of the run's own: the buildx plugin, the builder
    and registry logins stay out of the user's ~/.docker."""
    config = run / "docker"
    plugins = config / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-buildx"
    if not link.exists():
        link.symlink_to(tool("buildx").resolve())
    return config


@contextlib.contextmanager
def multiarch_builder(run: Path, registry: Registry) -> Iterator[Builder]:
    """BuildKit for linux/amd64 and linux/arm64, stopped (with everything it ran) at the end."""
    state = cache_dir() / "buildkit"
    state.mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    socket = run / "buildkitd.sock"
    config = run / "buildkitd.toml"
    platforms = "[" + ", ".join(f'"{p}"' for p in PLATFORMS) + "]"
    config.write_text(
        CONFIG.format(platforms=platforms, max_cache=MAX_CACHE, registry=registry.host)
    )
    log_path = run / "buildkitd.log"
    command = [
        str(tool("buildkitd").resolve()),
        f"--root={state}",
        f"--addr=unix://{socket}",
        f"--config={config}",
    ]
    with log_path.open("ab") as log:
        pid = emulation.spawn(
            command, [emulation.arm64_registration()], stdout=log.fileno(), stderr=log.fileno()
        )
    try:
        env = {"DOCKER_CONFIG": str(docker_config(run)), "BUILDX_BUILDER": BUILDER}
        deadline = time.monotonic() + 60
        while not socket.exists():
            if not alive(pid) or time.monotonic() > deadline:
                raise RuntimeError(f"BuildKit did not start: see {log_path}")
            time.sleep(0.2)
        builder = Builder(env)
        with contextlib.suppress(subprocess.CalledProcessError):
            builder.buildx("rm", BUILDER, capture_output=True)
        builder.buildx("create", "--name", BUILDER, "--driver", "remote", f"unix://{socket}")
        builder.buildx("inspect", "--bootstrap", BUILDER)
        yield builder
    finally:
        stop([pid], grace=30)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
