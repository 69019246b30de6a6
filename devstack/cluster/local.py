"""The `local` provider: a real control plane without containers.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built from source by
toolchain/setup.sh (toolchain/kube.sh), run as plain processes started by
`kwokctl --runtime binary`; kwok's controller plays the kubelets of fake nodes (two
amd64, one arm64). Nothing runs in a pod: kwok's stages move objects through their
lifecycle instead. The stages are kwok's own defaults, taken verbatim from the pinned
kwok module (setup links them to .tools/kwok/stage), plus:

- kwok v0.8's volume stages with their default StorageClass `kwok-volume`, so PVCs
  that name no class (or `kwok-volume`) get a PersistentVolume and bind; a PVC naming
  another class stays Pending, as on a cluster without that class;
- devstack/cluster/kwok/helm-test-stage.yaml: bare pods annotated `helm.sh/hook: test`
  reach Succeeded, so `helm test` completes (Job pods already do, by kwok's defaults).

So what passes here proves objects are valid and wired (the API server, admission,
controllers and scheduler are real), not that any container works.

With `real_nodes=1`, one real node (devstack/node: kubelet, containerd, kube-proxy,
CoreDNS; root only) joins beside the fake ones, and the control plane gets what it needs
for that (devstack/node/control_plane.py). The fake nodes are then tainted, so pods land
on real containers unless they tolerate being faked, and `load_image` copies a Docker
engine's image into the node's containerd. Without it nothing here changes.
"""

import shutil
import time
from pathlib import Path

import yaml

from devstack.cluster.base import Cluster, ClusterError, remove_state, state_root
from devstack.cluster.kwokctl import KwokctlError, run_kwokctl
from devstack.console import say
from devstack.node import control_plane
from devstack.node.node import RealNode
from devstack.paths import REPO_ROOT, TOOLS_BIN, pinned
from devstack.processes import stop_processes_under

KWOK_STAGES = REPO_ROOT / ".tools" / "kwok" / "stage"
EXTRA_STAGES = Path(__file__).parent / "kwok" / "helm-test-stage.yaml"
# kwokctl's defaults for the binary runtime (pkg/kwokctl/runtime/cluster.go: node
# leases on), which a config with any Stage replaces, so they are all listed here.
DEFAULT_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)
VOLUME_STAGES = (
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
)
STORAGE_CLASS = "volume/fast/storage-class.yaml"
# (name, architecture) of the fake nodes.
NODES = (("kwok-amd64-0", "amd64"), ("kwok-amd64-1", "amd64"), ("kwok-arm64-0", "arm64"))
# Every component listens on loopback only (kwokctl's default is 0.0.0.0, which would
# publish an unauthenticated etcd to the network).
KWOKCTL_OPTIONS = {
    "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
    "kind": "KwokctlConfiguration",
    "options": {"bindAddress": "127.0.0.1"},
}
BINARIES = {
    "etcd": "etcd",
    "kube-apiserver": "kube-apiserver",
    "kube-controller-manager": "kube-controller-manager",
    "kube-scheduler": "kube-scheduler",
    "kwok-controller": "kwok",
}


# Taint on the fake nodes when a real node is present: a workload lands on real
# containers unless it tolerates being faked (a Service's pods stay on one kind of node).
FAKE_NODE_TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}


def node_manifest(
    index: int, name: str, arch: str, pod_cidr: str | None = None, tainted: bool = False
) -> dict:
    """A fake node as kwokctl's own node template makes it, with its architecture."""
    pod_cidr = pod_cidr or f"10.0.{index}.0/24"
    spec: dict = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}
    if tainted:
        spec["taints"] = [FAKE_NODE_TAINT]
    resources = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/arch": arch,
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "node-role.kubernetes.io/agent": "",
                "type": "kwok",
            },
        },
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": f"192.0.2.{index + 1}"}],
            "allocatable": resources,
            "capacity": resources,
            "nodeInfo": {"architecture": arch, "operatingSystem": "linux"},
        },
    }


class LocalCluster(Cluster):
    provider = "local"

    def __init__(self, name: str, state: Path | None = None, real_nodes: int = 0) -> None:
        super().__init__(name)
        if real_nodes not in (0, 1):
            raise ClusterError(f"real_nodes={real_nodes}: one host holds at most one real node")
        self.state = state or state_root() / name
        self.workdir = self.state / "kwok"  # KWOK_WORKDIR
        self.cluster_dir = self.workdir / "clusters" / name
        self.real_nodes = real_nodes
        # Always known, so delete() also removes a real node an earlier run left.
        self.real_node = RealNode(self, self.state / "realnode-0")

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = [b for b in (*BINARIES.values(), "kwokctl", "kubectl") if not binary(b).exists()]
        if not KWOK_STAGES.is_dir():
            missing.append(str(KWOK_STAGES.relative_to(REPO_ROOT)))
        if missing:
            return f"missing {', '.join(missing)} in .tools: run `make setup` to build them"
        return None

    def create(self, reuse: bool = False) -> None:
        if reuse and self.is_up():
            say(f"local cluster {self.name} is already up ({self.kubeconfig})")
            return
        reason = self.unavailable_reason()
        if reason:
            raise ClusterError(f"cannot start the local cluster: {reason}")
        self.delete()
        start = time.monotonic()
        self.state.mkdir(parents=True)
        say(f"starting local cluster {self.name} (Kubernetes {pinned('KUBE_VERSION')}, kwok)")
        try:
            self._start()
        except (ClusterError, KwokctlError) as err:
            logs = self._keep_logs()
            self.delete()
            raise ClusterError(f"the local cluster did not start: {err}{logs}") from err
        say(f"local cluster {self.name} up in {time.monotonic() - start:.0f}s: {self.kubeconfig}")

    def delete(self) -> None:
        # The node first: its pods are deleted through the API server.
        left = self.real_node.stop()
        if left:
            say(f"the real node left: {'; '.join(left)}")
        if self.cluster_dir.exists():
            say(f"deleting local cluster {self.name}")
            try:
                run_kwokctl(self.workdir, self.name, "delete", "cluster", timeout=60, echo=False)
            except KwokctlError as err:
                say(f"kwokctl could not delete it cleanly ({err}); stopping its processes")
        stopped = stop_processes_under(self.state)
        if stopped:
            say(f"stopped {stopped} leftover process(es) of {self.name}")
        remove_state(self.state)

    def is_up(self) -> bool:
        if not self.kubeconfig.exists() or not self.cluster_dir.exists():
            return False
        try:
            return self.kubectl("get", "--raw=/readyz", timeout=10).strip() == "ok"
        except ClusterError:
            return False

    def load_image(self, image: str) -> None:
        """Import a Docker engine's image into the real node's containerd."""
        if not self.real_nodes:
            raise ClusterError(
                f"local cluster {self.name} has no real node to load {image} into "
                "(LocalCluster(name, real_nodes=1))"
            )
        try:
            self.real_node.load_image(image)
        except RuntimeError as err:
            raise ClusterError(str(err)) from err

    def logs(self) -> dict[str, Path]:
        """Component log files (etcd, kube-apiserver, ...) of the running cluster."""
        return {p.stem: p for p in sorted((self.cluster_dir / "logs").glob("*.log"))}

    # -- helpers ---------------------------------------------------------------------------

    def _start(self) -> None:
        run_kwokctl(
            self.workdir,
            self.name,
            "create",
            "cluster",
            "--runtime=binary",
            f"--config={self._write_config()}",
            f"--kubeconfig={self.kubeconfig}",
            *(f"--{flag}-binary={binary(b)}" for flag, b in BINARIES.items()),
            "--disable-qps-limits",
            "--wait=2m",
            timeout=180,
            watch_pids=self.cluster_dir / "pids",
        )
        self.kubectl("apply", "-f", str(KWOK_STAGES / STORAGE_CLASS))
        cidr = control_plane.fake_node_pod_cidr if self.real_nodes else (lambda _i: None)
        nodes = [
            node_manifest(i, name, arch, cidr(i), tainted=bool(self.real_nodes))
            for i, (name, arch) in enumerate(NODES)
        ]
        self.kubectl("create", "-f", "-", stdin=yaml.safe_dump_all(nodes))
        self.kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
        self._wait_for_default_service_account()
        if self.real_nodes:
            try:
                self.real_node.start()
            except RuntimeError as err:
                raise ClusterError(str(err)) from err

    def _write_config(self) -> Path:
        """kwokctl config: our options, kwok's default and volume stages verbatim, ours."""
        files = [KWOK_STAGES / f for f in (*DEFAULT_STAGES, *VOLUME_STAGES)] + [EXTRA_STAGES]
        options = KWOKCTL_OPTIONS
        if self.real_nodes:
            extra = control_plane.kwokctl_config_additions(
                self.cluster_dir, control_plane.host_ip()
            )
            options = {
                **options,
                "options": {**options["options"], **extra["options"]},
                "componentsPatches": extra["componentsPatches"],
            }
        docs = [yaml.safe_dump(options)] + [f.read_text() for f in files]
        path = self.state / "kwok-config.yaml"
        path.write_text("\n---\n".join(docs))
        return path

    def _keep_logs(self) -> str:
        """Copy the component logs out of the state dir (deleted next) and say where."""
        logs = self.logs()
        if not logs:
            return ""
        kept = self.state.with_name(f"{self.name}-failed-logs")
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        for path in logs.values():
            shutil.copy(path, kept / path.name)
        lines = [f"\ncomponent logs kept in {kept}"]
        for component in ("etcd", "kube-apiserver"):
            if component in logs:
                lines.append(f"--- {component} (last lines):\n{tail_of(logs[component])}")
        return "\n".join(lines)

    def _wait_for_default_service_account(self, timeout: float = 60) -> None:
        """Pods are admitted only once the controller manager made the namespace's SA."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.kubectl("get", "serviceaccount", "default", "-n", "default", timeout=10)
                return
            except ClusterError:
                time.sleep(0.5)
        raise ClusterError(
            f"kube-controller-manager made no default ServiceAccount in {timeout:.0f}s"
        )


def binary(name: str) -> Path:
    return TOOLS_BIN / name


def tail_of(path: Path, lines: int = 8) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
