"""Single-binary container images written from Python, for a node without a registry.

Each image is one layer holding one static binary, saved in the docker-archive format
(`docker save`'s: manifest.json, an image config, an uncompressed layer tar) that
`ctr images import` reads, so the node needs containerd only (no Docker, no builder).
Upstream image contracts are kept: the user, the entrypoint and, for CoreDNS, the file
capability cap_net_bind_service on the binary (a non-root CoreDNS binds :53 with it).
"""

import hashlib
import io
import json
import struct
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

# Label on every image built here: it is a local build, and this is its recipe.
RECIPE_LABEL = "org.mlops-platform.local-build"
RECIPE = "devstack/node/images.py"
# security.capability xattr (struct vfs_cap_data, revision 2) for `setcap
# cap_net_bind_service=+ep`: magic|effective, then permitted/inheritable words.
CAP_NET_BIND_SERVICE = 10
NET_BIND_SERVICE_XATTR = struct.pack(
    "<5I", 0x02000000 | 0x1, 1 << CAP_NET_BIND_SERVICE, 0, 0, 0
).decode("latin-1")


@dataclass(frozen=True)
class BinaryImage:
    """An image whose root holds `binary` as /`name`, its entrypoint, run as `user`."""

    ref: str
    binary: Path
    name: str
    user: str
    file_capability: str | None = None  # xattr value for the binary, e.g. NET_BIND_SERVICE
    labels: dict[str, str] = field(default_factory=dict)


def layer_tar(image: BinaryImage) -> bytes:
    """The one layer: the binary at /NAME, mode 0755, owned by root, fixed mtime."""
    data = image.binary.resolve().read_bytes()
    info = tarfile.TarInfo(image.name)
    info.size, info.mode, info.mtime = len(data), 0o755, 0
    if image.file_capability:
        info.pax_headers = {"SCHILY.xattr.security.capability": image.file_capability}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def docker_archive(image: BinaryImage, arch: str = "amd64") -> bytes:
    """`docker save` output for the image: manifest.json, config, layer."""
    layer = layer_tar(image)
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {
            "User": image.user,
            "Entrypoint": [f"/{image.name}"],
            "Labels": {RECIPE_LABEL: RECIPE, **image.labels},
        },
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created_by": f"{RECIPE}: {image.name}"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    manifest = [
        {"Config": config_name, "RepoTags": [image.ref], "Layers": [f"{layer_digest}/layer.tar"]}
    ]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in (
            (config_name, config_bytes),
            (f"{layer_digest}/layer.tar", layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def import_images(images: list[BinaryImage], ctr: list[str]) -> None:
    """Import every image into containerd's k8s.io namespace (the CRI's) via `ctr`."""
    for image in images:
        if not image.binary.exists():
            raise FileNotFoundError(
                f"{image.binary} (for image {image.ref}) is missing: run "
                "`toolchain/setup.sh kube_node`"
            )
        result = subprocess.run(
            [*ctr, "-n", "k8s.io", "images", "import", "-"],
            input=docker_archive(image),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"ctr could not import image {image.ref}: {result.stderr.decode().strip()}"
            )


def import_docker_image(reference: str, ctr: list[str]) -> None:
    """Copy an image from the Docker engine into containerd's k8s.io namespace:
    `docker save REF | ctr images import -`, streamed (images reach a gigabyte)."""
    with subprocess.Popen(
        ["docker", "save", reference], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as save:
        imported = subprocess.run(
            [*ctr, "-n", "k8s.io", "images", "import", "-"],
            stdin=save.stdout,
            capture_output=True,
            check=False,
        )
        assert save.stdout is not None and save.stderr is not None
        save.stdout.close()
        saved_error = save.stderr.read().decode().strip()
    if save.returncode != 0:
        raise RuntimeError(f"docker save {reference} failed: {saved_error}")
    if imported.returncode != 0:
        raise RuntimeError(
            f"ctr could not import image {reference}: {imported.stderr.decode().strip()}"
        )
