"""Running kwokctl for one cluster: readable progress, a deadline, and an early stop
when a control-plane process dies (kwokctl itself would wait minutes for it)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from devstack.paths import TOOLS_BIN
from devstack.processes import alive


class KwokctlError(RuntimeError):
    def __init__(self, message: str, dead_component: str | None = None) -> None:
        super().__init__(message)
        self.dead_component = dead_component


def readable(line: str) -> str:
    """kwokctl logs JSON when not on a terminal: keep the message, its timing or error."""
    try:
        record = json.loads(line)
    except ValueError:
        return line.rstrip()
    if not isinstance(record, dict) or "msg" not in record:
        return line.rstrip()
    text = record["msg"]
    if elapsed := record.get("elapsed", {}).get("human"):
        text += f" ({elapsed})"
    if err := record.get("err"):
        text += f": {str(err).strip()}"
    return text


def dead_component(pids_dir: Path) -> str | None:
    """A component kwokctl started (it leaves <name>.pid files) whose process is gone."""
    for pid_file in sorted(pids_dir.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if not alive(pid):
            return pid_file.stem
    return None


def run_kwokctl(
    workdir: Path,
    name: str,
    *args: str,
    timeout: float,
    echo: bool = True,
    watch_pids: Path | None = None,
) -> None:
    """Run `kwokctl --name NAME ARGS` with KWOK_WORKDIR=workdir, echoing its progress.

    Raises KwokctlError with its last lines when it fails, runs past `timeout` seconds,
    or (with `watch_pids`) when one of the processes it started exits.
    """
    env = {
        **os.environ,
        "KWOK_WORKDIR": str(workdir),
        # kwokctl runs the first kubectl on PATH: make it the pinned one.
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    argv = [str(TOOLS_BIN / "kwokctl"), f"--name={name}", *args]
    tail: deque[str] = deque(maxlen=25)
    died: list[str] = []
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        stop = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(proc, timeout, watch_pids, died, stop), daemon=True
        )
        watcher.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(readable(line))
                if echo:
                    print(f"    kwokctl: {tail[-1]}", file=sys.stderr, flush=True)
            code = proc.wait()
        finally:
            stop.set()
            watcher.join()
    if died:
        tail.append(f"(stopped: {died[0]} exited)")
    elif code == -signal.SIGKILL:
        tail.append(f"(stopped: no result after {timeout:.0f}s)")
    if code != 0:
        raise KwokctlError(
            f"kwokctl {' '.join(args[:2])} failed ({code}):\n  " + "\n  ".join(tail),
            dead_component=died[0] if died else None,
        )


def _watch(
    proc: subprocess.Popen,
    timeout: float,
    pids_dir: Path | None,
    died: list[str],
    stop: threading.Event,
) -> None:
    deadline = time.monotonic() + timeout
    while not stop.wait(0.5):
        if time.monotonic() > deadline:
            proc.kill()
            return
        component = dead_component(pids_dir) if pids_dir else None
        if component:
            died.append(component)
            proc.kill()
            return
