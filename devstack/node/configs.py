"""The real node's configuration files: containerd, CNI, kubelet, kube-proxy.

Every choice that keeps the host as it was is made here:
- containerd has its own root, state, socket and runc root, and the CRI never lowers an
  OOM score (`restrict_oom_score_adj`: this machine lacks CAP_SYS_RESOURCE);
- the kubelet only checks kernel tunables (`protectKernelDefaults`), which it reads from
  files bind-mounted over /proc/sys in the node's private mount namespace (layout.py);
- kube-proxy writes no host sysctl: no localhost NodePorts (route_localnet), conntrack
  limits and timeouts left as they are.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

# kube-apiserver's default Service range is 10.0.0.0/24: `kubernetes` is 10.0.0.1, and
# the cluster DNS Service gets a fixed address inside it.
SERVICE_CIDR = "10.0.0.0/24"
CLUSTER_DNS_IP = "10.0.0.10"
CLUSTER_DOMAIN = "cluster.local"
# The real node's pods; kwok's fake pods get addresses elsewhere (control_plane.py).
POD_CIDR = "10.244.0.0/24"
BRIDGE = "cni0"
CNI_BIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins


@dataclass(frozen=True)
class NodePaths:
    """Where one node keeps everything, under one directory."""

    root: Path

    @property
    def containerd_root(self) -> Path:
        return self.root / "containerd" / "root"

    @property
    def containerd_state(self) -> Path:
        return self.root / "containerd" / "state"

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd" / "containerd.sock"

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd" / "config.toml"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet.yaml"

    @property
    def kube_proxy_config(self) -> Path:
        return self.root / "kube-proxy.yaml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"


def containerd_config(paths: NodePaths, sandbox_image: str) -> str:
    """containerd 1.6 config (version 2) for the CRI on this node only."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    runc = f"{cri}.containerd.runtimes.runc"
    return f"""version = 2
root = "{paths.containerd_root}"
state = "{paths.containerd_state}"

[grpc]
  address = "{paths.containerd_socket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{paths.root / "containerd" / "opt"}"

[{cri}]
  sandbox_image = "{sandbox_image}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{runc}]
  runtime_type = "io.containerd.runc.v2"

[{runc}.options]
  SystemdCgroup = false
  Root = "{paths.containerd_state / "runc"}"

[{cri}.cni]
  bin_dir = "{CNI_BIN_DIR}"
  conf_dir = "{paths.cni_conf_dir}"
  max_conf_num = 1
"""


def cni_conflist() -> str:
    """A bridge with NAT to the outside; `firewall` opens FORWARD for the pods (a host
    whose FORWARD policy is DROP, as Docker leaves it, would drop them); `portmap`
    serves hostPorts. The loopback interface containerd sets up itself."""
    conflist = {
        "cniVersion": "0.4.0",
        "name": "realnode",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_CIDR}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "firewall"},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(conflist, indent=2)


def kubelet_config(paths: NodePaths, ca_file: Path, node_ip: str) -> str:
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        "cgroupDriver": "cgroupfs",
        # Kubernetes >= 1.35 refuses cgroup v1 unless told; this host is v1 (hybrid).
        "failCgroupV1": False,
        # Check the kernel tunables, never rewrite them (the namespace shows the values).
        "protectKernelDefaults": True,
        "failSwapOn": False,
        "address": node_ip,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca_file)},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDNS": [CLUSTER_DNS_IP],
        "clusterDomain": CLUSTER_DOMAIN,
        "resolvConf": "/etc/resolv.conf",
        # Images are imported, never pulled: keep them through disk-usage swings.
        "imageGCHighThresholdPercent": 99,
        "imageGCLowThresholdPercent": 98,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


def kube_proxy_config(kubeconfig: Path, node_name: str) -> str:
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "hostnameOverride": node_name,
        "mode": "iptables",
        "clusterCIDR": POD_CIDR,
        # true would set net.ipv4.conf.all.route_localnet on the host.
        "iptables": {"localhostNodePorts": False},
        # Zeros leave the host's conntrack table size and timeouts untouched.
        "conntrack": {
            "maxPerCore": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
        "metricsBindAddress": "127.0.0.1:10249",
        "healthzBindAddress": "127.0.0.1:10256",
    }
    return yaml.safe_dump(config, sort_keys=False)
