"""Helpers for real server processes started on loopback: ports, waiting, stopping."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll `check` until it is true; raise naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def as_user(user: str | None, argv: list[str]) -> list[str]:
    """argv run as `user` when we are root (servers like PostgreSQL refuse root)."""
    if user and os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *argv]
    return argv


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising with its output when it fails."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_processes_under(root: Path, grace: float = 10) -> int:
    """Stop (TERM, then KILL after `grace` seconds) every process whose program path lies
    under `root`; returns how many. Finds what a crashed run left behind even when its
    pid files are gone, and touches nothing started from elsewhere."""
    marker = str(root) + os.sep
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0].decode()
        except (OSError, UnicodeDecodeError):
            continue
        if argv0.startswith(marker):
            pids.append(int(proc.name))
    stop(pids, grace)
    return len(pids)


def stop(pids: Iterable[int], grace: float = 10) -> None:
    """TERM, then KILL after `grace` seconds, exactly these processes; returns once they
    are gone (or 5 s after the KILL)."""
    pids = [p for p in pids if alive(p)]
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    for wait, then in ((grace, signal.SIGKILL), (5, None)):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.1)
        for pid in pids:
            if then and alive(pid):
                _signal(pid, then)


def spawn_detached(argv: list[str], log: Path, append: bool = False) -> subprocess.Popen:
    """A process in a session of its own that outlives us, its output in `log`."""
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_process_tree(pid: int, grace: float = 30) -> None:
    """Stop a server started by another process (`make down`): its group, then any
    descendant that left it (BentoML's workers run in sessions of their own)."""
    family = descendants(pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.2)
    for victim in [pid, *family]:
        _signal(victim, signal.SIGKILL)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
