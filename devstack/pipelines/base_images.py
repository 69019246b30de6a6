"""The images the platform's Dockerfiles start FROM, for both architectures, in the run's
registry: Debian from debootstrap (arm64's second stage emulated), and on it the Python
image devstack/images/python/Dockerfile makes, pushed as docker.io's
library/python:X.Y-slim-SUITE, which BuildKit takes from that registry (builder.py).

The root file systems are kept in the toolchain's cache by suite, architecture and
recipe: debootstrap runs once per machine, not once per run.
"""

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from devstack.images import debian
from devstack.images.recipes import (
    MODEL_DOCKERFILE,
    RECIPES_DIR,
    PythonImage,
    dockerfile_from,
    machine_ca_bundle,
    tag_of,
)
from devstack.paths import cache_dir
from devstack.pipelines.builder import PLATFORMS, Builder
from devstack.pipelines.registry import Registry

# Fixed timestamps make each run's base images byte-identical to the last run's, so the
# images built FROM them reuse BuildKit's cache instead of building again.
REPRODUCIBLE = ("--build-arg", "SOURCE_DATE_EPOCH=0")

ROOTFS_DOCKERFILE = """\
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
CMD ["bash"]
"""


def cached_rootfs(suite: str, arch: str) -> Path:
    """The archive of Debian SUITE for ARCH, made once and kept in the cache."""
    key = hashlib.sha256(f"{debian.base_recipe(suite)}\narch={arch}".encode()).hexdigest()[:12]
    archive = cache_dir() / "pipelines" / "rootfs" / f"debian-{suite}-{arch}-{key}.tar"
    if archive.is_file():
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    print(f"==> Debian {suite} for {arch}: debootstrap (first run only)", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".debootstrap-") as tmp:
        made = debian.debootstrap_rootfs(suite, Path(tmp), arch)
        os.replace(made, archive)
    return archive


def push_base_images(builder: Builder, registry: Registry, work: Path) -> str:
    """Push Debian and Python for every platform; returns the Python image's docker.io
    name, which the Dockerfiles' FROM resolves to through the registry."""
    python = PythonImage("python", "")
    reference = dockerfile_from(MODEL_DOCKERFILE)  # python:3.11-slim-bookworm
    suite = tag_of(reference).rsplit("-", 1)[1]
    context = work / "debian-context"
    context.mkdir(parents=True, exist_ok=True)
    for platform in PLATFORMS:
        arch = platform.split("/")[1]
        target = context / f"rootfs-{arch}.tar"
        target.unlink(missing_ok=True)
        os.link(cached_rootfs(suite, arch), target)
    (context / "Dockerfile").write_text(ROOTFS_DOCKERFILE)
    base = f"{registry.host}/mlops/debian-base:{suite}"
    print(f"==> base images: Debian {suite} and {reference}, {' and '.join(PLATFORMS)}")
    builder.buildx(
        "build", "--platform", ",".join(PLATFORMS), *REPRODUCIBLE, "-t", base, "--push", context
    )

    python_context = work / "python-context"
    shutil.copytree(RECIPES_DIR / "python", python_context, dirs_exist_ok=True)
    shutil.copyfile(machine_ca_bundle(), python_context / "machine-ca-bundle.crt")
    builder.buildx(
        "build",
        "--platform",
        ",".join(PLATFORMS),
        *REPRODUCIBLE,
        "--build-arg",
        f"BASE={base}",
        "--build-arg",
        f"PYTHON_VERSION={python.version()}",
        "-t",
        f"{registry.host}/library/{reference}",
        "--push",
        python_context,
    )
    return reference
