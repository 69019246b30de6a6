"""What a real node leaves on the host, how to remove it, and the check that nothing is left.

The node changes the host's network and cgroups only in ways that belong to it: iptables
chains named KUBE-* (kubelet, kube-proxy) and CNI-* (the bridge, firewall and portmap
plugins), the `cni0` bridge and its veths, `kubepods` cgroups in every hierarchy, and
empty mountpoint directories for its private mounts (namespace.py). Kernel tunables are
only read; `sysctl_snapshot()` lets a caller prove they did not change.
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from devstack.node.configs import BRIDGE

CHAIN_PREFIXES = ("KUBE-", "CNI-")
CGROUP_ROOT = Path("/sys/fs/cgroup")
KUBEPODS = "kubepods"
# Host tunables the kubelet, kube-proxy or the CNI plugins would set if let.
WATCHED_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
    "net/ipv4/ip_forward",
    "net/ipv4/conf/all/forwarding",
    "net/ipv4/conf/all/route_localnet",
    "net/bridge/bridge-nf-call-iptables",
    "net/netfilter/nf_conntrack_max",
    "net/netfilter/nf_conntrack_tcp_timeout_established",
    "net/netfilter/nf_conntrack_tcp_timeout_close_wait",
    "net/netfilter/nf_conntrack_tcp_be_liberal",
)


def sysctl_snapshot() -> dict[str, str]:
    """The watched tunables' current values (those this kernel has)."""
    values = {}
    for name in WATCHED_SYSCTLS:
        with contextlib.suppress(OSError):
            values[name] = (Path("/proc/sys") / name).read_text().strip()
    return values


def sysctl_changes(before: dict[str, str]) -> list[str]:
    now = sysctl_snapshot()
    return [
        f"sysctl {name} changed from {value} to {now.get(name)}"
        for name, value in before.items()
        if now.get(name) != value
    ]


# -- iptables --------------------------------------------------------------------------


def iptables_tools() -> list[str]:
    """Every iptables flavour installed (nft and legacy, IPv4 and IPv6)."""
    names = ("iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy")
    return [n for n in names if shutil.which(f"{n}-save") and shutil.which(f"{n}-restore")]


def our_chains(tool: str) -> dict[str, list[str]]:
    """removal_plan() of what `TOOL-save` lists now."""
    out = subprocess.run([f"{tool}-save"], capture_output=True, text=True, check=False).stdout
    return removal_plan(out)


def removal_plan(save_output: str) -> dict[str, list[str]]:
    """{table: iptables-restore lines} deleting every KUBE-/CNI- chain: first the rules
    that jump to one from another chain (-D), then the chains' rules (-F), then them (-X)."""
    plan: dict[str, list[str]] = {}
    table, chains, jumps = "", [], []
    for line in [*save_output.splitlines(), "*end"]:
        if line.startswith("*"):
            if chains or jumps:
                plan[table] = jumps + [f"-F {c}" for c in chains] + [f"-X {c}" for c in chains]
            table, chains, jumps = line[1:], [], []
        elif line.startswith(":") and line[1:].startswith(CHAIN_PREFIXES):
            chains.append(line[1:].split()[0])
        elif line.startswith("-A ") and not line.split()[1].startswith(CHAIN_PREFIXES):
            words = line.split()
            targets = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-j", "-g")]
            if any(t.startswith(CHAIN_PREFIXES) for t in targets):
                jumps.append("-D " + line[3:])
    return plan


def remove_chains() -> list[str]:
    """Delete every KUBE-/CNI- chain and the rules jumping to them; return failures."""
    failures = []
    for tool in iptables_tools():
        for table, lines in our_chains(tool).items():
            script = "\n".join([f"*{table}", *lines, "COMMIT", ""])
            result = subprocess.run(
                [f"{tool}-restore", "--noflush"],
                input=script,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                failures.append(f"{tool} -t {table}: {result.stderr.strip()}")
    return failures


def leftover_chains() -> list[str]:
    return [
        f"{tool} table {table}: {len(lines)} KUBE-/CNI- rule(s) or chain(s)"
        for tool in iptables_tools()
        for table, lines in our_chains(tool).items()
    ]


# -- links -----------------------------------------------------------------------------


def links(kind: str | None = None) -> list[dict]:
    argv = ["ip", "-j", "-d", "link", "show"] + (["type", kind] if kind else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    return json.loads(out or "[]")


def remove_bridge() -> None:
    if any(link["ifname"] == BRIDGE for link in links("bridge")):
        subprocess.run(["ip", "link", "delete", BRIDGE], check=False)


def leftover_links() -> list[str]:
    found = [f"bridge {BRIDGE}" for link in links("bridge") if link["ifname"] == BRIDGE]
    # A pod's veth outlives its bridge only when its netns is still held open. Another
    # program's veths (Docker's) hang off their own bridge, except for the moment between
    # creating and attaching one: so a veth counts when it is ours, or masterless twice.
    masterless = _masterless_veths()
    if masterless:
        time.sleep(1)
        masterless &= _masterless_veths()
    ours = {link["ifname"] for link in links("veth") if link.get("master") == BRIDGE}
    return found + [f"veth {name}" for name in sorted(ours | masterless)]


def _masterless_veths() -> set[str]:
    return {link["ifname"] for link in links("veth") if not link.get("master")}


# -- cgroups ---------------------------------------------------------------------------


def kubepods_cgroups() -> list[Path]:
    return sorted(p for p in CGROUP_ROOT.glob(f"*/{KUBEPODS}") if p.is_dir()) + (
        [CGROUP_ROOT / KUBEPODS] if (CGROUP_ROOT / KUBEPODS).is_dir() else []
    )


def processes_in_kubepods() -> set[int]:
    pids: set[int] = set()
    for top in kubepods_cgroups():
        for procs in top.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(p) for p in procs.read_text().split())
    return pids


def remove_kubepods_cgroups() -> list[str]:
    """rmdir every kubepods cgroup depth-first (the kernel refuses busy ones)."""
    failures = []
    for top in kubepods_cgroups():
        for dirpath, _dirs, _files in os.walk(top, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError as err:
                failures.append(f"cgroup {dirpath}: {err.strerror}")
    return failures


# -- processes -------------------------------------------------------------------------


def processes_mentioning(text: str) -> set[int]:
    """Processes whose command line contains `text` (containerd's shims name its socket)."""
    needle = text.encode()
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (proc / "cmdline").read_bytes():
                    found.add(int(proc.name))
    return found


def mounts_mentioning(text: str) -> list[str]:
    """Mounts in the host's (our) namespace whose source or target contains `text`."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [" ".join(line.split()[3:5]) for line in lines if text in line]
