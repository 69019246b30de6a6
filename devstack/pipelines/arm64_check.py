"""The linux/arm64 model image, checked the way a Raspberry Pi would run it, on this
amd64 machine: its file system and its own entry point under QEMU (emulation.py),
`bentoml serve` answering /livez and one /classify.

The image is the baked one (model_service/Dockerfile on the Bento `make model` built),
so it answers without an MLflow server. Docker's engine here cannot run arm64 (the
host's binfmt_misc is left alone), so the image runs as a chroot in the emulation
namespaces: its layers pulled from the registry and unpacked in order, its user,
environment, working folder
and entry point from its configuration, only --host and --port changed, to a free port
on 127.0.0.1.
"""

import contextlib
import json
import os
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devstack.pipelines import emulation
from devstack.pipelines.builder import Builder
from devstack.pipelines.registry import Registry
from devstack.processes import alive, free_port, stop

PLATFORM = "linux/arm64"
TEXTS = [
    "Only an idiot would believe this, go back to your cave and stop posting.",
    "I see it differently: the data you cite is from 2019, and newer numbers disagree.",
]
# Under emulation Python starts several times slower than natively.
START_TIMEOUT = 900


@dataclass(frozen=True)
class Arm64Check:
    reference: str
    start_seconds: float
    livez_status: int
    classify: list[dict]


def platform_manifest(registry: Registry, repository: str, tag: str, platform: str) -> dict:
    os_name, arch = platform.split("/")
    for entry in registry.manifest(repository, tag).get("manifests", []):
        if entry.get("platform", {}) == {"architecture": arch, "os": os_name}:
            return registry.manifest(repository, entry["digest"])
    raise LookupError(f"{repository}:{tag} has no {platform} image")


def unpack_image(registry: Registry, repository: str, tag: str, platform: str, dest: Path) -> dict:
    """Unpack one platform of a pushed image into `dest`, layer by layer as a container
    runtime would (whiteouts delete what lower layers made); returns its configuration
    (entry point, user, environment)."""
    manifest = platform_manifest(registry, repository, tag, platform)
    blobs = f"http://{registry.host}/v2/{repository}/blobs"
    for layer in manifest["layers"]:
        url = f"{blobs}/{layer['digest']}"
        with (
            urllib.request.urlopen(url, timeout=300) as response,
            tarfile.open(fileobj=response, mode="r|*") as tar,
        ):
            for member in tar:
                _apply(tar, member, dest)
    with urllib.request.urlopen(f"{blobs}/{manifest['config']['digest']}", timeout=30) as response:
        return json.load(response)["config"]


def _apply(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> None:
    path = Path(member.name)
    if path.name == ".wh..wh..opq":  # an opaque folder: what lower layers put there goes
        folder = dest / path.parent
        for child in folder.iterdir() if folder.is_dir() else []:
            subprocess.run(["rm", "-rf", "--one-file-system", child], check=True)
        return
    if path.name.startswith(".wh."):
        target = dest / path.parent / path.name[len(".wh.") :]
        subprocess.run(["rm", "-rf", "--one-file-system", target], check=True)
        return
    target = dest / path
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()
    tar.extract(member, dest, set_attrs=True, numeric_owner=True, filter="fully_trusted")


def serve_command(entrypoint: list[str], port: int) -> list[str]:
    """The entry point with its --host and --port replaced (loopback, a free port)."""
    command, skip = [], False
    for arg in entrypoint:
        if skip:
            skip = False
            continue
        if arg in ("--host", "--port"):
            skip = True
            continue
        command.append(arg)
    return [*command, "--host", "127.0.0.1", "--port", str(port)]


def check_arm64_image(builder: Builder, registry: Registry, bento: Path, run: Path) -> Arm64Check:
    dockerfile = bento / "src" / "model_service" / "Dockerfile"
    repository, tag = "mlops/troll-classifier-baked", "arm64-check"
    reference = f"{registry.host}/{repository}:{tag}"
    print(f"==> building {reference} for {PLATFORM} under emulation", file=sys.stderr)
    builder.buildx(
        "build",
        "--platform",
        PLATFORM,
        "-f",
        str(dockerfile),
        "-t",
        reference,
        "--push",
        str(bento),
    )
    rootfs = run / "arm64-rootfs"
    subprocess.run(["rm", "-rf", "--one-file-system", rootfs], check=True)
    rootfs.mkdir(parents=True)
    config = unpack_image(registry, repository, tag, PLATFORM, rootfs)
    port = free_port()
    user = config.get("User") or "0:0"
    workdir = config.get("WorkingDir") or "/"
    command = serve_command(config["Entrypoint"] + (config.get("Cmd") or []), port)
    # In the namespaces: the image's /proc and /dev, and the files a container runtime
    # provides (/etc/hosts names localhost), then its user and folder.
    script = (
        'set -e; r="$1"; shift; mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; '
        'for f in /etc/hosts /etc/resolv.conf; do touch "$r$f"; mount --bind "$f" "$r$f"; done; '
        f'exec chroot --userspec={user} "$r" /bin/sh -c \'cd "$0" && exec "$@"\' {workdir} "$@"'
    )
    env = dict(item.split("=", 1) for item in config.get("Env", []))
    log_path = run / "arm64-serve.log"
    print(
        f"==> bentoml serve under emulation on 127.0.0.1:{port} (log {log_path})", file=sys.stderr
    )
    start = time.monotonic()
    with log_path.open("ab") as log:
        pid = emulation.spawn(
            ["sh", "-c", script, "sh", str(rootfs), *command],
            [emulation.arm64_registration()],
            env=env,
            stdout=log.fileno(),
            stderr=log.fileno(),
        )
    try:
        livez = _wait_for(f"http://127.0.0.1:{port}/livez", pid, start, log_path)
        # Ready once the model has loaded (the service answers 503 before that).
        _wait_for(f"http://127.0.0.1:{port}/readyz", pid, start, log_path)
        started = time.monotonic() - start
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/classify",
            data=json.dumps({"texts": TEXTS}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            answer = json.load(response)
        return Arm64Check(reference, started, livez, answer)
    finally:
        stop([pid], grace=30)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        subprocess.run(["rm", "-rf", "--one-file-system", rootfs], check=True)


def _wait_for(url: str, pid: int, start: float, log_path: Path) -> int:
    """The status of the first 200 from `url`, polled while the server runs."""
    while time.monotonic() - start < START_TIMEOUT:
        if not alive(pid):
            raise RuntimeError(f"bentoml serve under emulation exited: see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            time.sleep(3)
    raise TimeoutError(f"{url} did not answer 200 within {START_TIMEOUT}s: see {log_path}")
