"""The Docker engine as the image recipes use it: commands, labels, and the message
that says how to get an engine when none answers."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devstack.paths import REPO_ROOT

# Labels every local build carries: that it is one and which recipe made it, and the
# content hash of the recipe's inputs, which decides whether a build can be skipped.
LOCAL_BUILD_LABEL = "io.mlops-platform.local-build"
RECIPE_HASH_LABEL = "io.mlops-platform.recipe-hash"
VERSION_LABEL = "io.mlops-platform.version"
ENGINE_SCRIPT = REPO_ROOT / "toolchain" / "container-engine.sh"
GET_AN_ENGINE = "toolchain/container-engine.sh (root on Debian: installs docker.io, starts dockerd)"

# BuildKit needs the buildx plugin and fetches its Dockerfile frontend from a registry;
# the legacy builder needs neither.
BUILD_ENV = {**os.environ, "DOCKER_BUILDKIT": "0"}


class EngineError(RuntimeError):
    """No Docker engine answers, or a docker command failed."""


def engine_problem() -> str | None:
    """None when a Docker engine answers, else one line saying why not."""
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except FileNotFoundError:
        return "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 20s"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker engine answers ({reason})"
    return None


def start_engine() -> bool:
    """Make sure an engine answers: True when this call started one (then stop_engine()
    stops it), False when one already answered. Raises naming why none can run."""
    if engine_problem() is None:
        return False
    started = subprocess.run(
        [str(ENGINE_SCRIPT), "start"], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        why = (started.stderr.strip().splitlines() or ["no output"])[-1]
        raise EngineError(f"{engine_problem()}; {ENGINE_SCRIPT.name}: {why}")
    return True


def stop_engine() -> None:
    """Stop the dockerd the engine script started, nothing else."""
    subprocess.run([str(ENGINE_SCRIPT), "stop"], capture_output=True, check=False)


def require_engine() -> None:
    problem = engine_problem()
    if problem:
        raise EngineError(f"{problem}; get one with {GET_AN_ENGINE}")


def docker(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["docker", *map(str, args)], capture_output=True, text=True, env=BUILD_ENV, check=False
    )
    if check and result.returncode != 0:
        raise EngineError(f"docker {' '.join(map(str, args))} failed:\n{result.stderr.strip()}")
    return result


def stream(
    command: Sequence[str | Path],
    prefix: str,
    stdin=None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Run a long command, echoing its output with a prefix; the tail goes into the error."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(c) for c in command],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env=env or BUILD_ENV,
    )
    tail: list[str] = []
    assert process.stdout is not None
    try:
        for raw in process.stdout:
            line = raw.rstrip()
            tail = [*tail[-29:], line]
            print(f"   {prefix} {time.monotonic() - started:5.0f}s | {line}", file=sys.stderr)
    except BaseException:
        # Interrupted: do not leave the command running on its own.
        process.terminate()
        process.wait()
        raise
    if process.wait() != 0:
        raise EngineError(
            f"{command[0]} {command[1]} for {prefix} failed (exit {process.returncode}); "
            "last lines:\n" + "\n".join(tail)
        )


def image_labels(reference: str) -> dict[str, str] | None:
    """The labels of a local image, or None when there is no such image."""
    result = docker(
        "image", "inspect", "--format", "{{json .Config.Labels}}", reference, check=False
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout) or {}


def image_id(reference: str) -> str:
    return docker("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip()


def images_with_hash(recipe_hash: str) -> list[str]:
    listed = docker(
        "images", "--quiet", "--no-trunc", "--filter", f"label={RECIPE_HASH_LABEL}={recipe_hash}"
    )
    return sorted(set(listed.stdout.split()))


def image_summary(reference: str) -> dict | None:
    result = docker(
        "image",
        "inspect",
        "--format",
        '{"size": {{.Size}}, "created": "{{.Created}}", "id": "{{.Id}}"}',
        reference,
        check=False,
    )
    return json.loads(result.stdout) if result.returncode == 0 else None
