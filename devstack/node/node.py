"""One real node joined to a `local` cluster: containerd + kubelet (in a private mount
namespace), kube-proxy (on the host), CoreDNS (a Deployment on the node).

    node = RealNode(cluster)   # cluster: kubeconfig, cluster_dir, kubectl(...)
    node.start()               # tears down leftovers first; raises with log tails
    node.stop()                # the teardown, in order; returns what is left (ideally [])

Teardown order (each step needs the one before): the node's pods are deleted while
the kubelet still runs, so the CRI tears their networks down (CNI DEL) and no pause
process, shim, veth or CNI chain survives; then kube-proxy stops and removes its rules
(`--cleanup`); then the kubelet, then containerd; then what only the host can remove
(iptables chains, the bridge, kubepods cgroups, mountpoints), each by name and by the
PIDs this node started. Nothing is done when the node directory does not exist, so a
cluster without a real node, or another checkout's, is never touched.

One host holds one node: a node an interrupted run left (its folder is there, none of
its recorded processes runs), of this checkout or another, is torn down the same way
before a new node starts (`reclaim_abandoned_nodes`).
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Protocol

import yaml

from devstack import processes
from devstack.console import say
from devstack.node import configs, dns, host
from devstack.node.control_plane import host_ip
from devstack.node.images import (
    NET_BIND_SERVICE_XATTR,
    BinaryImage,
    import_docker_image,
    import_images,
)
from devstack.node.namespace import MountNamespace, remove_mountpoints
from devstack.paths import every_checkouts_run_dirs

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
NODE_BINARIES = ("kubelet", "kube-proxy", "coredns", "pause", "netcheck")
SYSTEM_COMMANDS = (
    "containerd",
    "containerd-shim-runc-v2",
    "runc",
    "ctr",
    "iptables",
    "ip",
    "unshare",
    "nsenter",
    "mount",
)
NODE_LABEL = {"type": "real"}
IMAGE_PREFIX = "localhost/mlops-platform"
NONROOT = "65532"


class ClusterLike(Protocol):
    kubeconfig: Path
    cluster_dir: Path

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str: ...


def unavailable_reason() -> str | None:
    """Why this machine cannot run a real node, in one line, or None."""
    if os.geteuid() != 0:
        return "a real node needs root (containerd, iptables, cgroups)"
    missing = [b for b in NODE_BINARIES if not (TOOLS_BIN / b).exists()]
    if missing:
        return f"missing {', '.join(missing)} in .tools/bin: run `toolchain/setup.sh kube_node`"
    missing = [c for c in SYSTEM_COMMANDS if not shutil.which(c)]
    if not (configs.CNI_BIN_DIR / "bridge").exists():
        missing.append("containernetworking-plugins")
    if missing:
        return f"missing {', '.join(missing)}: run `toolchain/setup.sh kube_node` as root"
    return None


def images() -> dict[str, BinaryImage]:
    """The node's local images: the sandbox, cluster DNS, the tests' server/client."""
    pause_tag = _run([str(TOOLS_BIN / "pause"), "-v"]).split()[-1].removeprefix("v")
    coredns_tag = _run([str(TOOLS_BIN / "coredns"), "-version"]).split()[0].split("-")[-1]
    return {
        # Upstream's pause image runs as 65535.
        "pause": BinaryImage(
            f"{IMAGE_PREFIX}/pause:{pause_tag}", TOOLS_BIN / "pause", "pause", "65535:65535"
        ),
        "coredns": BinaryImage(
            f"{IMAGE_PREFIX}/coredns:v{coredns_tag}",
            TOOLS_BIN / "coredns",
            "coredns",
            f"{NONROOT}:{NONROOT}",
            NET_BIND_SERVICE_XATTR,
        ),
        "netcheck": BinaryImage(
            f"{IMAGE_PREFIX}/netcheck:local",
            TOOLS_BIN / "netcheck",
            "netcheck",
            f"{NONROOT}:{NONROOT}",
        ),
    }


class RealNode:
    def __init__(self, cluster: ClusterLike, root: Path, name: str = "realnode-0") -> None:
        self.cluster = cluster
        self.name = name
        self.paths = configs.NodePaths(root)
        self.namespace = MountNamespace(root)
        self.timings: dict[str, float] = {}

    @property
    def root(self) -> Path:
        return self.paths.root

    # -- start ---------------------------------------------------------------------------

    def start(self, timeout: float = 120) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(f"cannot start real node {self.name}: {reason}")
        self.stop()
        for line in reclaim_abandoned_nodes():
            say(line)
        start = time.monotonic()
        self.paths.logs.mkdir(parents=True)
        (self.root / "host-before.json").write_text(json.dumps(host.sysctl_snapshot()))
        try:
            node_images = images()
            self._write_configs(node_images["pause"].ref)
            self.namespace.start()
            self._bridge()
            self._spawn(
                "containerd",
                self.namespace.enter(["containerd", f"--config={self.paths.containerd_config}"]),
            )
            self._wait(self._containerd_answers, 30, "containerd to answer on its socket")
            import_images(list(node_images.values()), self.ctr())
            self._spawn("kubelet", self.namespace.enter(self._kubelet_argv()))
            self._spawn(
                "kube-proxy",
                [str(TOOLS_BIN / "kube-proxy"), f"--config={self.paths.kube_proxy_config}"],
            )
            self._wait(self._node_ready, timeout, f"node {self.name} to be Ready")
            self.timings["node_ready"] = time.monotonic() - start
            self.cluster.kubectl(
                "apply",
                "-f",
                "-",
                stdin=yaml.safe_dump_all(dns.manifests(node_images["coredns"].ref, NODE_LABEL)),
            )
            self.cluster.kubectl(
                "-n",
                dns.NAMESPACE,
                "rollout",
                "status",
                f"deployment/{dns.NAME}",
                f"--timeout={timeout:.0f}s",
                timeout=timeout + 10,
            )
            self.timings["dns_ready"] = time.monotonic() - start
        except Exception as err:
            tails = self.log_tails()
            raise RuntimeError(f"real node {self.name} did not start: {err}\n{tails}") from err

    def ctr(self) -> list[str]:
        return ["ctr", f"--address={self.paths.containerd_socket}"]

    def load_image(self, reference: str) -> None:
        """Make a Docker engine's image available to the node's pods (no registry)."""
        if not self._containerd_answers():
            raise RuntimeError(f"real node {self.name} is not running: cannot load {reference}")
        import_docker_image(reference, self.ctr())

    def log_tails(self, lines: int = 15) -> str:
        parts = []
        for log in sorted(self.paths.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} (last lines):\n" + "\n".join(text))
        return "\n".join(parts)

    def _write_configs(self, sandbox_image: str) -> None:
        ip = host_ip()
        self.paths.cni_conf_dir.mkdir(parents=True)
        self.paths.containerd_config.parent.mkdir(parents=True)
        self.paths.containerd_config.write_text(
            configs.containerd_config(self.paths, sandbox_image)
        )
        (self.paths.cni_conf_dir / "10-realnode.conflist").write_text(configs.cni_conflist())
        self.paths.kubelet_config.write_text(
            configs.kubelet_config(self.paths, self.cluster.cluster_dir / "pki" / "ca.crt", ip)
        )
        self.paths.kube_proxy_config.write_text(
            configs.kube_proxy_config(self.cluster.kubeconfig, self.name)
        )

    def _kubelet_argv(self) -> list[str]:
        return [
            str(TOOLS_BIN / "kubelet"),
            f"--config={self.paths.kubelet_config}",
            f"--kubeconfig={self.cluster.kubeconfig}",
            "--root-dir=/var/lib/kubelet",  # the node's own directory, inside the namespace
            f"--hostname-override={self.name}",
            f"--node-ip={host_ip()}",
            "--node-labels=" + ",".join(f"{k}={v}" for k, v in NODE_LABEL.items()),
        ]

    def _bridge(self) -> None:
        """Make the pods' bridge first, forwarding only for itself: the host's global
        ip_forward stays off, so pods reach each other and Services, not the outside."""
        gateway = configs.POD_CIDR.replace(".0/", ".1/")
        _run(["ip", "link", "add", configs.BRIDGE, "type", "bridge"])
        _run(["ip", "addr", "add", gateway, "dev", configs.BRIDGE])
        _run(["ip", "link", "set", configs.BRIDGE, "up"])
        Path(f"/proc/sys/net/ipv4/conf/{configs.BRIDGE}/forwarding").write_text("1")

    def _spawn(self, name: str, argv: list[str]) -> None:
        self.paths.pids.mkdir(parents=True, exist_ok=True)
        proc = processes.spawn_detached(argv, self.paths.logs / f"{name}.log", append=True)
        (self.paths.pids / f"{name}.pid").write_text(str(proc.pid))

    def _wait(self, check, timeout: float, what: str) -> None:
        """wait_until `check`, failing at once when one of the node's processes died."""

        def ready() -> bool:
            dead = [
                n
                for n in ("containerd", "kubelet", "kube-proxy")
                if (p := self._pid(n)) is not None and not processes.alive(p)
            ]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}")
            return check()

        try:
            processes.wait_until(ready, timeout, what, interval=0.5)
        except TimeoutError as exc:  # start() reports RuntimeErrors with the logs' tails
            raise RuntimeError(str(exc)) from None

    def _containerd_answers(self) -> bool:
        return (
            subprocess.run([*self.ctr(), "version"], capture_output=True, check=False).returncode
            == 0
        )

    def _node_ready(self) -> bool:
        try:
            out = self.cluster.kubectl(
                "get",
                "node",
                self.name,
                "-o",
                "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
                timeout=10,
            )
        except Exception:  # not registered yet
            return False
        return out.strip() == "True"

    def _pid(self, name: str) -> int | None:
        try:
            return int((self.paths.pids / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """Tear the node down (see the module docstring); return what is left, if any."""
        if not self.root.exists():
            return []
        self._drain()
        self._stop_process("kube-proxy")
        subprocess.run(
            [str(TOOLS_BIN / "kube-proxy"), "--cleanup"], capture_output=True, check=False
        )
        self._stop_process("kubelet")
        self._stop_process("containerd")
        processes.stop(host.processes_mentioning(str(self.root)) | host.processes_in_kubepods())
        if self.namespace.pid is not None:
            processes.stop([self.namespace.pid])
        self._delete_node_object()
        problems = host.remove_chains()
        host.remove_bridge()
        problems += self._remove_cgroups()
        problems += remove_mountpoints(self.root)
        problems += self._sysctl_changes()
        shutil.rmtree(self.root, ignore_errors=True)
        return problems + leftovers(self.root)

    def _drain(self, timeout: float = 60) -> None:
        """Delete the node's pods while the kubelet runs; wait until no task is left."""
        kubelet = self._pid("kubelet")
        if kubelet is None or not processes.alive(kubelet):
            return
        try:
            self.cluster.kubectl("cordon", self.name, timeout=15)
            self.cluster.kubectl(
                "delete",
                "pods",
                "--all-namespaces",
                "--wait=false",
                f"--field-selector=spec.nodeName={self.name}",
                timeout=30,
            )
        except Exception:  # the API server is gone: the host cleanup below takes over
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._tasks():
            time.sleep(0.5)

    def _tasks(self) -> list[str]:
        result = subprocess.run(
            [*self.ctr(), "-n", "k8s.io", "tasks", "ls", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.split() if result.returncode == 0 else []

    def _stop_process(self, name: str) -> None:
        pid = self._pid(name)
        if pid is not None:
            processes.stop([pid], grace=15)

    def _delete_node_object(self) -> None:
        # Fails only when the cluster is gone, and the Node object with it.
        with contextlib.suppress(Exception):
            self.cluster.kubectl(
                "delete", "node", self.name, "--ignore-not-found", "--wait=false", timeout=15
            )

    def _remove_cgroups(self) -> list[str]:
        """Cgroups empty a moment after their last process exits: retry briefly."""
        deadline = time.monotonic() + 10
        while True:
            problems = host.remove_kubepods_cgroups()
            if not problems or time.monotonic() > deadline:
                return problems
            time.sleep(0.5)

    def _sysctl_changes(self) -> list[str]:
        try:
            before = json.loads((self.root / "host-before.json").read_text())
        except (OSError, ValueError):
            return []
        return host.sysctl_changes(before)


class _ClusterGone:
    """Stands in for the cluster of an abandoned node: its API server is not asked."""

    kubeconfig = Path("/nonexistent")
    cluster_dir = Path("/nonexistent")

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        raise RuntimeError("the abandoned node's cluster is not asked")


def abandoned_nodes() -> list[Path]:
    """Node folders an interrupted run of any checkout left, none of whose recorded
    processes still runs. A live node (another run's), or one still starting (no
    process recorded yet), is never among them."""
    found = []
    for state in every_checkouts_run_dirs("cluster"):
        for root in state.glob("*/realnode-*"):
            pids = []
            for pidfile in (root / "pids").glob("*.pid"):
                with contextlib.suppress(OSError, ValueError):
                    pids.append(int(pidfile.read_text()))
            if pids and not any(processes.alive(pid) for pid in pids):
                found.append(root)
    return found


def reclaim_abandoned_nodes() -> list[str]:
    """Tear down every abandoned node (see `abandoned_nodes`); say what each left."""
    report = []
    for root in abandoned_nodes():
        left = RealNode(_ClusterGone(), root).stop()
        report.append(f"reclaimed the abandoned node {root}" + (f", left: {left}" if left else ""))
    return report


def leftovers(root: Path | None = None) -> list[str]:
    """What a torn-down node (in `root`, if given) left on the host; empty when clean."""
    found = host.leftover_chains() + host.leftover_links()
    found += [f"cgroup {p}" for p in host.kubepods_cgroups()]
    found += [f"process {p} in kubepods" for p in host.processes_in_kubepods()]
    if root is not None:
        found += [f"process {p}" for p in host.processes_mentioning(str(root))]
        found += [f"host mount {m}" for m in host.mounts_mentioning(str(root))]
        if root.exists():
            found.append(f"node directory {root}")
    return found


def _run(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout
