"""Debian for the images: the package mirror this machine's apt already uses, the
tools the recipes need installed from Debian packages, and a minimal root file system
from debootstrap imported as a base image."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.images.docker import stream
from devstack.pipelines import emulation

APT_SOURCES = Path("/etc/apt")
MIRROR_OVERRIDE = "MLOPS_DEBIAN_MIRROR"


def configured_mirror(apt_dir: Path = APT_SOURCES) -> str:
    """The first Debian archive URI in apt's sources (deb822 .sources or one-line .list)
    that serves release suites (not the security archive); $MLOPS_DEBIAN_MIRROR wins."""
    if os.environ.get(MIRROR_OVERRIDE):
        return os.environ[MIRROR_OVERRIDE].rstrip("/")
    files = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file():
            continue
        for uri, suites in _deb_sources(path):
            if any("security" in s for s in suites) or "security" in uri:
                continue
            if any(re.fullmatch(r"[a-z]+", s) for s in suites):
                return uri.rstrip("/")
    raise RuntimeError(
        f"no Debian package mirror found in {apt_dir}/sources.list or {apt_dir}/sources.list.d "
        f"(a `deb` source with a release suite such as bookworm); set ${MIRROR_OVERRIDE}"
    )


def _deb_sources(path: Path) -> list[tuple[str, list[str]]]:
    text = path.read_text(errors="replace")
    found = []
    if path.suffix == ".sources":
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (line.partition(":") for line in stanza.splitlines() if ":" in line)
                if not k.startswith("#")
            )
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                found += [(uri, fields.get("suites", "").split()) for uri in fields["uris"].split()]
    elif path.suffix == ".list" or path.name == "sources.list":
        for line in text.splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                found.append((words[1], [words[2]]))
    return found


def ensure_command(command: str, package: str) -> str:
    """The path of `command`, installing Debian's `package` with apt-get when missing."""
    path = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(
            f"{command} is missing and cannot be installed here (needs root and apt-get); "
            f"install the Debian package {package}"
        )
    print(f"==> installing {package} from Debian packages (apt-get install)", file=sys.stderr)
    subprocess.run(
        [
            "apt-get",
            "install",
            "-y",
            "--no-install-recommends",
            "-o",
            "DPkg::Lock::Timeout=600",
            package,
        ],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=True,
    )
    path = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if not path:
        raise RuntimeError(f"installed {package} but {command} is still not found")
    return path


VARIANT = "minbase"
# Files dropped from the root file system: apt's downloaded lists and packages, logs.
DROPPED = ("var/lib/apt/lists", "var/cache/apt/archives", "var/log")
IMPORT_CHANGES = ('CMD ["bash"]',)


def base_recipe(suite: str) -> str:
    """What decides a base image's content, as text: its cache key."""
    return "\n".join(
        [
            f"debootstrap --variant={VARIANT} {suite} ROOTFS {configured_mirror()}",
            f"drop files under {' '.join(DROPPED)}",
            "tar --numeric-owner --xattrs --xattrs-include=security.capability --exclude=./dev/*",
            *(f"docker import --change '{c}'" for c in IMPORT_CHANGES),
        ]
    )


def unmount_under(root: Path) -> None:
    """Unmount what debootstrap mounted inside the root file system (it mounts /proc
    while configuring and leaves it mounted when interrupted), deepest first, so that
    removing the folder never reaches into the host's /proc or /sys."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    inside = [m for m in mounts if m == str(root) or m.startswith(f"{root}/")]
    for mount in sorted(inside, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", mount], check=True)


def debootstrap_rootfs(suite: str, tmp: Path, arch: str | None = None) -> Path:
    """debootstrap SUITE (for `arch`, default the host's) from the configured mirror into
    tmp/rootfs and archive it as tmp/rootfs.tar; returns the archive. A foreign
    architecture's second stage runs under emulation (devstack/pipelines/emulation.py).
    Device nodes are left out of the archive: a container's runtime makes /dev."""
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root (it creates device nodes and chroots)")
    debootstrap = ensure_command("debootstrap", "debootstrap")
    rootfs = tmp / "rootfs"
    foreign = arch is not None and arch != host_arch()
    try:
        first = [debootstrap, f"--variant={VARIANT}"]
        if arch:
            first.append(f"--arch={arch}")
        if foreign:
            first.append("--foreign")
        stream([*first, suite, rootfs, configured_mirror()], prefix=f"debootstrap {suite}")
        if foreign:
            _second_stage_emulated(rootfs, suite)
        unmount_under(rootfs)
        for dropped in DROPPED:
            for path in (rootfs / dropped).glob("*"):
                if path.is_file():
                    path.unlink()
        archive = tmp / "rootfs.tar"
        tar = ["tar", "--numeric-owner", "--xattrs", "--xattrs-include=security.capability"]
        subprocess.run([*tar, "--exclude=./dev/*", "-C", rootfs, "-cf", archive, "."], check=True)
        return archive
    finally:
        unmount_under(rootfs)
        subprocess.run(["rm", "-rf", "--one-file-system", rootfs], check=True)


def host_arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _second_stage_emulated(rootfs: Path, suite: str) -> None:
    print(f"==> debootstrap {suite}: second stage under emulation (a few minutes)", file=sys.stderr)
    # container=lxc: debootstrap then makes no device node (a user namespace may not) and
    # binds the host's instead where it needs one.
    pid = emulation.spawn(
        ["chroot", str(rootfs), "/debootstrap/debootstrap", "--second-stage"],
        [emulation.arm64_registration()],
        env={**os.environ, "container": "lxc"},
    )
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else "(no log)"
        raise RuntimeError(f"debootstrap's second stage failed under emulation:\n{tail}")


def build_base(suite: str, reference: str, labels: dict[str, str], work_root: Path) -> None:
    """debootstrap SUITE from the configured mirror, then docker import with the labels."""
    work_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=work_root, prefix=f"debootstrap-{suite}-"))
    try:
        archive = debootstrap_rootfs(suite, tmp)
        changes = [*(f'LABEL {key}="{value}"' for key, value in labels.items()), *IMPORT_CHANGES]
        args = [a for change in changes for a in ("--change", change)]
        with archive.open("rb") as data:
            stream(["docker", "import", *args, "-", reference], prefix="docker import", stdin=data)
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", tmp], check=True)
