"""`kubectl port-forward` to a Service: for the length of a `with` block (tests), or in
the background with its pid recorded (`make up`, stopped by `make down`)."""

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.cluster.base import Cluster, kubectl_binary
from devstack.processes import free_port, spawn_detached

FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+)")


def forward_argv(kubeconfig: Path, namespace: str, target: str, ports: str) -> list[str]:
    return [
        kubectl_binary(),
        f"--kubeconfig={kubeconfig}",
        "-n",
        namespace,
        "port-forward",
        target,
        ports,
    ]


@contextmanager
def port_forward(cluster: Cluster, namespace: str, target: str, port: int) -> Iterator[str]:
    """`kubectl port-forward TARGET :PORT`; yields http://127.0.0.1:<local port>."""
    argv = forward_argv(cluster.kubeconfig, namespace, target, f":{port}")
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as forward:
        try:
            assert forward.stdout is not None
            line = forward.stdout.readline()
            local = FORWARDING.search(line)
            if not local:
                rest = line + (forward.stdout.read() if forward.poll() is not None else "")
                raise RuntimeError(f"kubectl port-forward {target} said: {rest!r}")
            yield f"http://127.0.0.1:{local[1]}"
        finally:
            forward.terminate()
            forward.wait(timeout=10)


def start_port_forward(
    kubeconfig: Path, namespace: str, target: str, port: int, *, log: Path, timeout: float = 30
) -> tuple[int, str]:
    """A port-forward left running after we exit (own session, output in `log`);
    returns its pid and http://127.0.0.1:<local port> once it forwards."""
    argv = forward_argv(kubeconfig, namespace, target, f"{free_port()}:{port}")
    process = spawn_detached(argv, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        local = FORWARDING.search(log.read_text())
        if local:
            return process.pid, f"http://127.0.0.1:{local[1]}"
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"kubectl port-forward {target} did not forward: {log.read_text()!r}")
