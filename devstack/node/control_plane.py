"""What the `local` cluster's kwokctl configuration needs for a real node to join.

- The API server is reached by pods through the `kubernetes` Service: its certificate
  names that IP, it advertises the host's address (a pod's 127.0.0.1 is the pod) and
  listens beyond loopback (still requiring client certificates).
- It reaches the kubelet for logs, exec and port-forward with the cluster's admin pair,
  by the node's InternalIP (the node name is not in the host's DNS).
- kwok fakes only the nodes annotated `kwok.x-k8s.io/node: fake`; by default it manages
  every node and would overwrite the real node's pod statuses.
- Fake pods get addresses outside the Service range (kwok's default pool is 10.0.0.1/24,
  which would hand out the `kubernetes` Service IP) and outside the real pods' range.
"""

import json
import subprocess
from pathlib import Path

from devstack.node.configs import SERVICE_CIDR

KUBERNETES_SERVICE_IP = "10.0.0.1"
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node=fake"
# Fake pods' addresses: node i gets 10.1.i.0/24, pods of nodes without a range this one.
FAKE_POD_CIDR_PREFIX = "10.1"
FAKE_POD_DEFAULT_CIDR = "10.1.255.0/24"


def host_ip() -> str:
    """The address of the host's default route (what the kubelet advertises)."""
    out = subprocess.run(
        ["ip", "-j", "-4", "route", "get", "1.1.1.1"], capture_output=True, text=True, check=False
    ).stdout
    try:
        return json.loads(out)[0]["prefsrc"]
    except (ValueError, IndexError, KeyError) as err:
        raise RuntimeError(
            f"no IPv4 default route to advertise the API server on: {out!r}"
        ) from err


def fake_node_pod_cidr(index: int) -> str:
    return f"{FAKE_POD_CIDR_PREFIX}.{index}.0/24"


def _args(component: str, args: dict[str, str], override: tuple[str, ...] = ()) -> dict:
    return {
        "name": component,
        "extraArgs": [{"key": k, "value": v, "override": k in override} for k, v in args.items()],
    }


def kwokctl_config_additions(cluster_dir: Path, advertise_ip: str) -> dict:
    """`options` entries and `componentsPatches` to merge into the KwokctlConfiguration."""
    pki = cluster_dir / "pki"
    return {
        "options": {"kubeApiserverCertSANs": [KUBERNETES_SERVICE_IP, advertise_ip]},
        "componentsPatches": [
            _args(
                "kube-apiserver",
                {
                    "bind-address": "0.0.0.0",
                    "advertise-address": advertise_ip,
                    "service-cluster-ip-range": SERVICE_CIDR,
                    "kubelet-client-certificate": str(pki / "admin.crt"),
                    "kubelet-client-key": str(pki / "admin.key"),
                    "kubelet-preferred-address-types": "InternalIP,Hostname",
                },
                override=("bind-address",),
            ),
            _args(
                "kwok-controller",
                {
                    "manage-all-nodes": "false",
                    "manage-nodes-with-annotation-selector": FAKE_NODE_ANNOTATION,
                    "cidr": FAKE_POD_DEFAULT_CIDR,
                },
                override=("manage-all-nodes",),
            ),
        ],
    }
