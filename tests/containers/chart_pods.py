"""A chart's pod run by Docker the way its pod spec says: the rendered workload's
image, user, read-only root, dropped capabilities, no privilege escalation, env, and
its volumes (emptyDir as tmpfs, ConfigMap files, the data claim as a Docker volume).

Everything started here is tracked and removed by `cleanup()`, also after a failure."""

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
HELM = REPO_ROOT / ".tools" / "bin" / "helm"


def render_chart(chart: str, values: dict | None = None) -> list[dict]:
    """`helm template` of one subchart with its default values (plus `values`)."""
    if not HELM.exists():
        raise FileNotFoundError(f"{HELM} is missing: run `make setup`")
    chart_dir = REPO_ROOT / "charts" / chart
    # Packages the locked dependencies into charts/<chart>/charts (ignored by git).
    subprocess.run([HELM, "dependency", "build", chart_dir], capture_output=True, check=True)
    command = [HELM, "template", "mlops", chart_dir, "--namespace", "mlops", "--values", "-"]
    output = subprocess.run(
        command, input=yaml.safe_dump(values or {}), capture_output=True, text=True, check=True
    ).stdout
    return [o for o in yaml.safe_load_all(output) if o]


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed:\n{result.stderr}")
    return result


@dataclass
class ChartPods:
    """Runs containers of rendered workloads and removes all of them afterwards."""

    scratch: Path
    prefix: str = field(default_factory=lambda: f"mlops-test-{uuid.uuid4().hex[:8]}")
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    def volume(self, name: str) -> str:
        full = f"{self.prefix}-{name}"
        if full not in self.volumes:
            docker("volume", "create", full)
            self.volumes.append(full)
        return full

    def run_args(self, objects: list[dict], kind: str, secrets: dict[str, str]) -> list[str]:
        """`docker run` options for the first container of the chart's `kind` workload."""
        [workload] = [o for o in objects if o["kind"] == kind]
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        pod_security = pod.get("securityContext", {})
        security = {**pod_security, **container.get("securityContext", {})}
        args = [
            "--user",
            f"{security['runAsUser']}:{security.get('runAsGroup', security['runAsUser'])}",
        ]
        if security.get("readOnlyRootFilesystem"):
            args.append("--read-only")
        if "ALL" in security.get("capabilities", {}).get("drop", []):
            args += ["--cap-drop", "ALL"]
        if security.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                data = self._configmap(objects, source["configMapRef"]["name"])["data"]
                args += [a for k, v in data.items() for a in ("--env", f"{k}={v}")]
        for env in container.get("env", []):
            if "value" in env:
                args += ["--env", f"{env['name']}={env['value']}"]
            elif "secretKeyRef" in env.get("valueFrom", {}):
                args += ["--env", f"{env['name']}={secrets[env['name']]}"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
        for mount in container.get("volumeMounts", []):
            args += self._mount(objects, mount, volumes.get(mount["name"]), claims)
        if container.get("command"):
            args += ["--entrypoint", container["command"][0]]
        return [
            *args,
            container["image"],
            *container.get("command", [])[1:],
            *container.get("args", []),
        ]

    def _mount(self, objects: list[dict], mount: dict, volume: dict | None, claims: set) -> list:
        path = mount["mountPath"]
        if mount["name"] in claims:
            return ["--volume", f"{self.volume(mount['name'])}:{path}"]
        if volume is None:
            raise ValueError(f"volume {mount['name']} is neither in the pod nor a claim")
        if "emptyDir" in volume:
            # An emptyDir with fsGroup is writable by the pod's group; a world-writable
            # sticky tmpfs is the nearest Docker has.
            return ["--tmpfs", f"{path}:mode=1777"]
        if "configMap" in volume:
            configmap = self._configmap(objects, volume["configMap"]["name"])
            folder = self.scratch / volume["configMap"]["name"]
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in configmap["data"].items():
                (folder / name).write_text(text)
                (folder / name).chmod(volume["configMap"].get("defaultMode", 0o644))
            return ["--volume", f"{folder}:{path}:ro"]
        raise ValueError(f"volume {mount['name']}: no Docker equivalent for {sorted(volume)}")

    @staticmethod
    def _configmap(objects: list[dict], name: str) -> dict:
        [configmap] = [
            o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == name
        ]
        return configmap

    def start(self, name: str, run_args: list[str]) -> str:
        full = f"{self.prefix}-{name}"
        self.containers.append(full)
        docker("run", "--detach", "--name", full, *run_args)
        return full

    def ip(self, container: str) -> str:
        return docker(
            "inspect", "--format", "{{.NetworkSettings.IPAddress}}", container
        ).stdout.strip()

    def remove(self, container: str) -> None:
        docker("rm", "--force", container, check=False)

    def wait_for_exec(self, container: str, command: list[str], timeout: float) -> None:
        """Until `command` succeeds in the container (an exec probe); fails with its logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = docker("inspect", "--format", "{{.State.Running}}", container).stdout.strip()
            if state != "true":
                break
            if docker("exec", container, *command, check=False).returncode == 0:
                return
            time.sleep(1)
        logs = docker("logs", "--tail", "40", container, check=False)
        raise AssertionError(
            f"{container}: {' '.join(command)} did not succeed within {timeout}s "
            f"(running: {state}); logs:\n{logs.stdout}{logs.stderr}"
        )

    def cleanup(self) -> None:
        for container in self.containers:
            docker("rm", "--force", "--volumes", container, check=False)
        for volume in self.volumes:
            docker("volume", "rm", "--force", volume, check=False)
