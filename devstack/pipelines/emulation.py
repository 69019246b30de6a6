"""Foreign architectures on this machine without touching the host's kernel settings.

A command runs in a user namespace of its own (root in it is root outside: every uid is
mapped to itself), with a mount namespace and a PID namespace. binfmt_misc, mounted
there, is that user namespace's own instance (Linux 6.7 and later): QEMU's user-mode
emulator is registered in it for arm64 ELF binaries, so the command and everything it
starts (BuildKit and its build containers, or an image's own processes) run arm64
programs, while the host's binfmt_misc stays as it was. The namespaces, the registration
and every process in them end when the command does.

The emulator is Debian's qemu-user-static, taken from its package without installing it
(toolchain/setup.sh ci_tools), and registered with Debian's own magic, mask and flags.
"""

import ctypes
import os
import signal
import sys
from pathlib import Path

from devstack.paths import REPO_ROOT

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1

BINFMT_DIR = "/proc/sys/fs/binfmt_misc"
# Every uid and gid mapped to itself but the very last, so programs that ask whether they
# run in a user namespace (runc, BuildKit) are told the truth and skip the host's cgroups.
ID_MAP = "0 0 4294967294\n"

_libc = ctypes.CDLL(None, use_errno=True)


class EmulationUnavailable(RuntimeError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def registration(conf: Path, interpreter: Path) -> str:
    """Debian's binfmt.d line for an emulator, pointing at our copy of it."""
    name, kind, offset, magic, mask, _, flags = conf.read_text().strip().lstrip(":").split(":")
    return f":{name}:{kind}:{offset}:{magic}:{mask}:{interpreter}:{flags}"


def _inside(
    command: list[str], registrations: list[str], env: dict, ready_fd: int, go_fd: int
) -> None:
    """In the child: new namespaces, wait for the id maps, then register and exec."""
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    os.write(ready_fd, b"1")
    if os.read(go_fd, 1) != b"1":
        os._exit(1)
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    # Mounts made from here on stay in this namespace.
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    pid = os.fork()  # the first child is PID 1 of the new PID namespace
    if pid:
        # A stop request reaches the command; when it ends, the kernel ends the rest.
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _check(_libc.mount(b"proc", b"/proc", b"proc", 0, None), "mount /proc")
    _check(
        _libc.mount(b"binfmt_misc", BINFMT_DIR.encode(), b"binfmt_misc", 0, None),
        "mount binfmt_misc (needs Linux 6.7 or later)",
    )
    for line in registrations:
        Path(BINFMT_DIR, "register").write_text(line)
    os.execvpe(command[0], command, env)


def arm64_registration() -> str:
    """The arm64 emulator's binfmt_misc line (toolchain/setup.sh ci_tools unpacks it)."""
    qemu = REPO_ROOT / ".tools" / "qemu-user-static"
    if not (qemu / "qemu-aarch64-static").is_file():
        raise EmulationUnavailable(
            f"no arm64 emulator in {qemu}: run `toolchain/setup.sh ci_tools` (it unpacks "
            "Debian's qemu-user-static)"
        )
    return registration(qemu / "qemu-aarch64.conf", qemu.resolve() / "aarch64-binfmt-P")


def spawn(command: list[str], registrations: list[str], **popen_like) -> int:
    """Start `command` in the emulation namespaces; returns the PID of the process that
    owns them (signal it to stop everything inside)."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)
            os.close(go_w)
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            for fd, target in ((popen_like.get("stdout"), 1), (popen_like.get("stderr"), 2)):
                if fd is not None:
                    os.dup2(fd, target)
            if popen_like.get("cwd"):
                os.chdir(popen_like["cwd"])
            _inside(
                command, registrations, popen_like.get("env") or dict(os.environ), ready_w, go_r
            )
        except BaseException as error:  # noqa: BLE001 - the child must never return
            print(f"emulation: {error}", file=sys.stderr)
        os._exit(1)
    os.close(ready_w)
    os.close(go_r)
    try:
        if os.read(ready_r, 1) != b"1":
            raise EmulationUnavailable("could not create a user namespace (unshare failed)")
        for kind in ("uid_map", "gid_map"):
            Path(f"/proc/{pid}/{kind}").write_text(ID_MAP)
        os.write(go_w, b"1")
    finally:
        os.close(ready_r)
        os.close(go_w)
    return pid
