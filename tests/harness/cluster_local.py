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
- tests/harness/kwok/helm-test-stage.yaml: bare pods annotated `helm.sh/hook: test`
  reach Succeeded, so `helm test` completes (Job pods already do, by kwok's defaults).

So what passes here proves objects are valid and wired (the API server, admission,
controllers and scheduler are real), not that any container works.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import yaml

from tests.harness.cluster_base import Cluster, ClusterError, say, state_root
from tests.harness.paths import REPO_ROOT, TOOLS_BIN, pinned

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
BINARIES = {
    "etcd": "etcd",
    "kube-apiserver": "kube-apiserver",
    "kube-controller-manager": "kube-controller-manager",
    "kube-scheduler": "kube-scheduler",
    "kwok-controller": "kwok",
}


def node_manifest(index: int, name: str, arch: str) -> dict:
    """A fake node as kwokctl's own node template makes it, with its architecture."""
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
        "spec": {"podCIDR": f"10.0.{index}.0/24", "podCIDRs": [f"10.0.{index}.0/24"]},
        "status": {
            "addresses": [{"type": "InternalIP", "address": f"192.0.2.{index + 1}"}],
            "allocatable": resources,
            "capacity": resources,
            "nodeInfo": {"architecture": arch, "operatingSystem": "linux"},
        },
    }


class LocalCluster(Cluster):
    provider = "local"

    def __init__(self, name: str, state: Path | None = None) -> None:
        super().__init__(name)
        self.state = state or state_root() / name
        self.workdir = self.state / "kwok"  # KWOK_WORKDIR
        self.cluster_dir = self.workdir / "clusters" / name

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

    # -- lifecycle -------------------------------------------------------------------------

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
        self._kwokctl(
            "create",
            "cluster",
            "--runtime=binary",
            f"--config={self._write_config()}",
            f"--kubeconfig={self.kubeconfig}",
            *(f"--{flag}-binary={binary(b)}" for flag, b in BINARIES.items()),
            "--disable-qps-limits",
            "--wait=3m",
            timeout=300,
        )
        self.kubectl("apply", "-f", str(KWOK_STAGES / STORAGE_CLASS))
        nodes = [node_manifest(i, name, arch) for i, (name, arch) in enumerate(NODES)]
        self.kubectl("create", "-f", "-", stdin=yaml.safe_dump_all(nodes))
        self.kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
        self._wait_for_default_service_account()
        say(f"local cluster {self.name} up in {time.monotonic() - start:.0f}s: {self.kubeconfig}")

    def delete(self) -> None:
        if self.cluster_dir.exists():
            say(f"deleting local cluster {self.name}")
            try:
                self._kwokctl("delete", "cluster", timeout=120, echo=False)
            except ClusterError as err:
                say(f"kwokctl could not delete it cleanly, killing its processes ({err})")
        stopped = stop_processes_under(self.state)
        if stopped:
            say(f"stopped {stopped} leftover process(es) of an earlier run")
        if self.state.exists():
            subprocess.run(["rm", "-rf", str(self.state)], check=True)

    def is_up(self) -> bool:
        if not self.kubeconfig.exists() or not self.cluster_dir.exists():
            return False
        try:
            return self.kubectl("get", "--raw=/readyz", timeout=10).strip() == "ok"
        except ClusterError:
            return False

    def logs(self) -> dict[str, Path]:
        """Component log files (etcd, kube-apiserver, ...) of the running cluster."""
        return {p.stem: p for p in sorted((self.cluster_dir / "logs").glob("*.log"))}

    # -- helpers ---------------------------------------------------------------------------

    def _write_config(self) -> Path:
        """kwokctl config: kwok's default and volume stages verbatim, plus ours."""
        files = [KWOK_STAGES / f for f in (*DEFAULT_STAGES, *VOLUME_STAGES)] + [EXTRA_STAGES]
        path = self.state / "kwok-stages.yaml"
        path.write_text("\n---\n".join(f.read_text() for f in files))
        return path

    def _kwokctl(self, *args: str, timeout: float, echo: bool = True) -> None:
        """Run kwokctl for this cluster, echoing its progress; raise with its output."""
        env = {
            **os.environ,
            "KWOK_WORKDIR": str(self.workdir),
            # kwokctl runs the first kubectl on PATH: make it the pinned one.
            "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        argv = [str(binary("kwokctl")), f"--name={self.name}", *args]
        tail: deque[str] = deque(maxlen=40)
        with subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc:
            deadline = time.monotonic() + timeout
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line.rstrip())
                if echo:
                    print(f"    kwokctl: {readable(line)}", file=sys.stderr, flush=True)
                if time.monotonic() > deadline:
                    proc.kill()
                    break
            code = proc.wait()
        if code != 0:
            logs = "".join(
                f"\n--- {name} log (tail):\n{tail_of(path)}"
                for name, path in self.logs().items()
                if name in ("etcd", "kube-apiserver")
            )
            raise ClusterError(
                f"kwokctl {' '.join(args[:2])} failed ({code}):\n" + "\n".join(tail) + logs
            )

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
            f"kube-controller-manager made no default ServiceAccount in {timeout:.0f}s; "
            f"see {self.logs().get('kube-controller-manager')}"
        )


def readable(line: str) -> str:
    """kwokctl logs JSON when not on a terminal: keep the message and its timing."""
    try:
        record = json.loads(line)
    except ValueError:
        return line.rstrip()
    if not isinstance(record, dict) or "msg" not in record:
        return line.rstrip()
    elapsed = record.get("elapsed", {}).get("human")
    return f"{record['msg']} ({elapsed})" if elapsed else record["msg"]


def binary(name: str) -> Path:
    return TOOLS_BIN / name


def tail_of(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def stop_processes_under(root: Path, grace: float = 10) -> int:
    """Stop every process whose program lies under `root` (kwokctl links each component's
    binary into its cluster dir and runs it from there): what a crashed run left behind."""
    marker = str(root) + os.sep
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0].decode()
        except OSError:
            continue
        if argv0.startswith(marker):
            pids.append(int(proc.name))
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    for pid in pids:
        _signal(pid, signal.SIGKILL)
    return len(pids)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
