"""The private mount namespace containerd and the kubelet share.

A holder process (`unshare --mount --propagation private sleep`) owns the namespace;
containerd and the kubelet enter it with `nsenter`. Inside it, and only there:

- files holding the values the kubelet expects are bind-mounted over the four kernel
  tunables it checks, so `protectKernelDefaults` passes while the host keeps its own
  values; ip_forward is shown as 1 the same way, so the bridge plugin, which turns
  forwarding on for the whole host when it sees 0, leaves the host's setting alone;
- the fixed host paths the kubelet, containerd and the CNI plugins write to
  (/var/lib/kubelet, /var/lib/cni, /var/log/pods, /run/containerd, ...) are the node's
  own directories, bind-mounted over them.

Every mount, container rootfs and pod netns file dies with the namespace; what the host
keeps is an empty mountpoint directory for each path that did not exist, which
`remove_mountpoints` deletes (rmdir: never a directory someone else filled meanwhile).
"""

import contextlib
import json
import os
import subprocess
import time
from pathlib import Path

from devstack.processes import alive

# Kernel tunables as the kubelet wants them (pkg/kubelet/cm: setupKernelTunables).
FAKE_SYSCTLS = {
    "vm/overcommit_memory": "1",
    "vm/panic_on_oom": "0",
    "kernel/panic": "10",
    "kernel/panic_on_oops": "1",
    "net/ipv4/ip_forward": "1",
}
# Fixed paths (not configurable in the kubelet, containerd 1.6 or the CNI plugins)
# -> the node directory's subfolder shown there.
PRIVATE_PATHS = {
    "/var/lib/kubelet": "kubelet",
    "/var/lib/cni": "cni/state",
    "/var/log/pods": "logs/pods",
    "/var/log/containers": "logs/containers",
    "/run/containerd": "containerd/run",
    "/run/netns": "netns",
}
MOUNTPOINTS_FILE = "created-mountpoints.json"


class MountNamespace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pid_file = root / "pids" / "namespace.pid"

    @property
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def start(self) -> None:
        created = [p for p in PRIVATE_PATHS if not os.path.lexists(p)]
        # Recorded before creating any, so a crash in between is still cleaned up.
        (self.root / MOUNTPOINTS_FILE).write_text(json.dumps(created))
        holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(str(holder.pid))
        self._wait_until_private(holder)
        for name, value in FAKE_SYSCTLS.items():
            fake = self.root / "sysctl" / name.replace("/", ".")
            fake.parent.mkdir(parents=True, exist_ok=True)
            fake.write_text(value + "\n")
            self._bind(fake, Path("/proc/sys") / name)
        for path, sub in PRIVATE_PATHS.items():
            own = self.root / sub
            own.mkdir(parents=True, exist_ok=True)
            Path(path).mkdir(parents=True, exist_ok=True)
            self._bind(own, Path(path))

    def _wait_until_private(self, holder: subprocess.Popen, timeout: float = 10) -> None:
        """Until unshare has made the namespace private and run `sleep`, the holder is
        still in the host's namespace: a mount made through it then would be the host's."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if holder.poll() is not None:
                raise RuntimeError(f"unshare exited ({holder.returncode}): no mount namespace")
            with contextlib.suppress(OSError):
                comm = Path(f"/proc/{holder.pid}/comm").read_text().strip()
                if comm == "sleep" and not self._is_host_namespace(holder.pid):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"unshare made no private mount namespace in {timeout:.0f}s")

    @staticmethod
    def _is_host_namespace(pid: int) -> bool:
        return os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")

    def enter(self, argv: list[str]) -> list[str]:
        """argv run inside the namespace."""
        if self.pid is None:
            raise RuntimeError(
                f"the node's mount namespace (holder pid file {self.pid_file}) is gone"
            )
        return ["nsenter", f"--target={self.pid}", "--mount", "--", *argv]

    def _bind(self, source: Path, target: Path) -> None:
        if self.pid is None or self._is_host_namespace(self.pid):
            raise RuntimeError(f"refusing to bind {source} over {target} in the host's namespace")
        result = subprocess.run(
            self.enter(["mount", "--bind", str(source), str(target)]),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"cannot bind {source} over {target}: {result.stderr.strip()}")


def remove_mountpoints(root: Path) -> list[str]:
    """rmdir the mountpoints start() created; return those still there."""
    try:
        created = json.loads((root / MOUNTPOINTS_FILE).read_text())
    except (OSError, ValueError):
        return []
    left = []
    for path in sorted(created, key=len, reverse=True):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            left.append(f"{path}: {err.strerror}")
    return left
