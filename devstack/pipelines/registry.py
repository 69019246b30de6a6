"""A registry for the pipelines' pushes: the CNCF distribution registry on 127.0.0.1, on
a free port, its storage in a folder of the run, started for the run and stopped by its
PID (toolchain/setup.sh ci_tools builds it)."""

import contextlib
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.paths import tool
from devstack.processes import alive, free_port, stop, wait_until

# Every manifest kind a chart or image push leaves, so the registry answers with the one
# it holds rather than converting it.
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT, what image references and oci:// URLs start with

    def manifest_digest(self, repository: str, tag: str) -> str:
        """The digest the registry gives `repository:tag`'s manifest (what a pull pins)."""
        with self._manifest_request(repository, tag, "HEAD") as response:
            return response.headers["Docker-Content-Digest"]

    def manifest(self, repository: str, reference: str) -> dict:
        with self._manifest_request(repository, reference, "GET") as response:
            return json.load(response)

    def _manifest_request(self, repository: str, reference: str, method: str):
        request = urllib.request.Request(
            f"http://{self.host}/v2/{repository}/manifests/{reference}",
            method=method,
            headers={"Accept": MANIFEST_TYPES},
        )
        return urllib.request.urlopen(request, timeout=10)


@dataclass(frozen=True)
class PushedChart:
    reference: str  # oci://HOST/REPO, what `helm install` takes with --version
    version: str
    digest: str


def push_chart(
    registry: Registry, chart: Path, work: Path, namespace: str = "mlops"
) -> PushedChart:
    """What the pipelines' release jobs do: `helm package` the chart, `helm push` it to
    oci://HOST/NAMESPACE/charts (plain HTTP: the registry has no TLS)."""
    helm = str(tool("helm"))
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([helm, "package", str(chart), "-d", str(work)], check=True, capture_output=True)
    [archive] = work.glob("*.tgz")
    target = f"oci://{registry.host}/{namespace}/charts"
    subprocess.run([helm, "push", str(archive), target, "--plain-http"], check=True)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    name, version = meta["name"], str(meta["version"])
    digest = registry.manifest_digest(f"{namespace}/charts/{name}", version)
    return PushedChart(f"{target}/{name}", version, digest)


CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: {host}
"""


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_registry(root: Path) -> Iterator[Registry]:
    """A registry on 127.0.0.1 storing under `root`, stopped when the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(CONFIG.format(root=root / "storage", host=host))
    with (root / "registry.log").open("ab") as log:
        process = subprocess.Popen(
            [tool("registry"), "serve", config], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_until(
            lambda: _answers(host) or not alive(process.pid),
            timeout=30,
            what=f"the registry on {host}",
        )
        if not alive(process.pid):
            raise RuntimeError(f"the registry exited at start: see {root / 'registry.log'}")
        yield Registry(host)
    finally:
        stop([process.pid])
        process.wait()
