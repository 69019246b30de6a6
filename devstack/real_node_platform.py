"""What the platform chart needs on a cluster with a real node, for `make up` and the
containers tier alike: the overlay on values/local.yaml, static local volumes with
their StorageClass, and the images built here and imported into the node."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from devstack.cluster.local import LocalCluster
from devstack.images.build import build
from devstack.images.recipes import BENTO_DIR_ENV

OVERLAY = Path(__file__).with_name("real_node_values.yaml")
# The overlay's class: pre-made `local` volumes on the node's disk. The kubelet applies a
# pod's fsGroup to them (unlike hostPath), as it does to a cloud disk.
STORAGE_CLASS = yaml.safe_load(OVERLAY.read_text())["global"]["storageClass"]
VOLUME_SIZE = "10Gi"
# Image recipes the local profile with the overlay runs (the model's comes from a Bento).
PLATFORM_IMAGES = ("postgresql", "mlflow", "prometheus", "kube-state-metrics", "curl", "webapp")
# What values/prod.yaml's metrics add: PostgreSQL's exporter sidecar.
PROD_METRICS_IMAGES = ("postgres-exporter",)


def local_volumes(node: str, root: Path, count: int) -> list[dict]:
    """A no-provisioner StorageClass and `count` local PersistentVolumes on `node`, each
    a directory under `root` (the node's own, removed with it)."""
    objects: list[dict] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS},
            "provisioner": "kubernetes.io/no-provisioner",
            # Bound where the pod is scheduled, so the claim follows the pod to the node.
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Retain",
        }
    ]
    for index in range(count):
        path = root / f"pv-{index}"
        path.mkdir(parents=True, exist_ok=True)
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"{STORAGE_CLASS}-{index}"},
                "spec": {
                    "capacity": {"storage": VOLUME_SIZE},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": STORAGE_CLASS,
                    "local": {"path": str(path)},
                    "nodeAffinity": {
                        "required": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/hostname",
                                            "operator": "In",
                                            "values": [node],
                                        }
                                    ]
                                }
                            ]
                        }
                    },
                },
            }
        )
    return objects


def make_local_volumes(cluster: LocalCluster, count: int) -> None:
    """Apply local_volumes() on the cluster's real node, under the node's own folder."""
    volumes = local_volumes(cluster.real_node.name, cluster.real_node.root / "volumes", count)
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(volumes))


def build_platform_images(extra: tuple[str, ...] = ()) -> list[str]:
    """PLATFORM_IMAGES and `extra` built (or found cached); only those pods run, not
    their bases."""
    wanted = PLATFORM_IMAGES + extra
    return [o.reference for o in build(list(wanted)) if o.name in wanted]


@contextmanager
def _bento_dir(bento: Path) -> Iterator[None]:
    before = os.environ.get(BENTO_DIR_ENV)
    os.environ[BENTO_DIR_ENV] = str(bento)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(BENTO_DIR_ENV)
        else:
            os.environ[BENTO_DIR_ENV] = before


def build_model_image(bento: Path) -> str:
    """The image values/local.yaml serves, its champion baked in from this Bento
    (model_service/Dockerfile's build)."""
    with _bento_dir(bento):
        [*_, outcome] = build(["troll-classifier-baked"])
    return outcome.reference


def load_images(cluster: LocalCluster, references: list[str]) -> None:
    """Import each image from the Docker engine into the real node's containerd."""
    for reference in sorted(set(references)):
        cluster.load_image(reference)
