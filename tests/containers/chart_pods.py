"""A chart's pod run by Docker the way its pod spec says: the rendered workload's
image, user, read-only root, dropped capabilities, no privilege escalation, env, and
its volumes (emptyDir as tmpfs, ConfigMap and Secret files, the data claim as a Docker
volume).

Everything started here is tracked and removed by `cleanup()`, also after a failure."""

import base64
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from devstack.paths import chart_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
HELM = REPO_ROOT / ".tools" / "bin" / "helm"


def render_chart(chart: str, values: dict | None = None) -> list[dict]:
    """`helm template` of one subchart with its default values (plus `values`)."""
    if not HELM.exists():
        raise FileNotFoundError(f"{HELM} is missing: run `make setup`")
    folder = chart_dir(chart)
    # Packages the locked dependencies into the subchart's own charts/ (ignored by git).
    subprocess.run([HELM, "dependency", "build", folder], capture_output=True, check=True)
    command = [HELM, "template", "mlops", folder, "--namespace", "mlops", "--values", "-"]
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

    def volume(self, name: str, fs_group: int | None, image: str) -> str:
        """A Docker volume for a claim; with fsGroup, owned by that group and group
        writable, as the kubelet leaves a pod's volume."""
        full = f"{self.prefix}-{name}"
        if full not in self.volumes:
            docker("volume", "create", full)
            self.volumes.append(full)
            if fs_group is not None:
                prepare = f"chgrp {fs_group} /volume && chmod 2775 /volume"
                docker(
                    "run",
                    "--rm",
                    "--user",
                    "0",
                    "--entrypoint",
                    "sh",
                    "--volume",
                    f"{full}:/volume",
                    image,
                    "-c",
                    prepare,
                )
        return full

    def run_args(
        self,
        objects: list[dict],
        kind: str,
        secrets: dict[str, str],
        container_name: str | None = None,
    ) -> list[str]:
        """`docker run` options for a container (default: the first) of the chart's
        `kind` workload; `secrets` gives the values of secretKeyRef variables."""
        pod, container, claims = self._find(objects, kind, container_name)
        pod_security = pod.get("securityContext", {})
        args = self._security_args({**pod_security, **container.get("securityContext", {})})
        args += self._env_args(objects, container, secrets)
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        volumes.update({name: {"persistentVolumeClaim": {}} for name in claims})
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"])
            if volume is None:
                raise ValueError(f"volume {mount['name']} is neither in the pod nor a claim")
            if "persistentVolumeClaim" in volume:
                name = self.volume(mount["name"], pod_security.get("fsGroup"), container["image"])
                args += ["--volume", f"{name}:{mount['mountPath']}"]
            else:
                args += self._mount(objects, mount, volume)
        if container.get("command"):
            args += ["--entrypoint", container["command"][0]]
        return [
            *args,
            container["image"],
            *container.get("command", [])[1:],
            *container.get("args", []),
        ]

    @staticmethod
    def _find(objects: list[dict], kind: str, name: str | None) -> tuple[dict, dict, list[str]]:
        """The pod spec, container and claim names of the `kind` workload holding it."""
        for workload in (o for o in objects if o["kind"] == kind):
            pod = workload["spec"]["template"]["spec"]
            for container in [*pod["containers"], *pod.get("initContainers", [])]:
                if name in (None, container["name"]):
                    templates = workload["spec"].get("volumeClaimTemplates", [])
                    return pod, container, [c["metadata"]["name"] for c in templates]
        raise LookupError(f"no {kind} with a container {name!r} in the rendered chart")

    @staticmethod
    def _security_args(security: dict) -> list[str]:
        uid = security["runAsUser"]
        args = ["--user", f"{uid}:{security.get('runAsGroup', uid)}"]
        if security.get("readOnlyRootFilesystem"):
            args.append("--read-only")
        if "ALL" in security.get("capabilities", {}).get("drop", []):
            args += ["--cap-drop", "ALL"]
        if security.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        return args

    def _env_args(self, objects: list[dict], container: dict, secrets: dict) -> list[str]:
        args = []
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                data = self._configmap(objects, source["configMapRef"]["name"])["data"]
                args += [a for k, v in data.items() for a in ("--env", f"{k}={v}")]
        for env in container.get("env", []):
            if "value" in env:
                args += ["--env", f"{env['name']}={env['value']}"]
            elif "secretKeyRef" in env.get("valueFrom", {}):
                args += ["--env", f"{env['name']}={secrets[env['name']]}"]
        return args

    def _mount(self, objects: list[dict], mount: dict, volume: dict) -> list[str]:
        path = mount["mountPath"]
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
        if "secret" in volume:
            return ["--volume", f"{self._secret_folder(objects, volume['secret'])}:{path}:ro"]
        raise ValueError(f"volume {mount['name']}: no Docker equivalent for {sorted(volume)}")

    def _secret_folder(self, objects: list[dict], source: dict) -> Path:
        """The Secret's keys as files; an optional Secret the chart does not render is an
        empty folder, as the kubelet mounts it."""
        name = source["secretName"]
        found = [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == name]
        if not found and not source.get("optional"):
            raise LookupError(f"secret {name} is not in the rendered chart and not optional")
        folder = self.scratch / f"secret-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        data = (found[0].get("data") or {}) if found else {}
        for key, value in data.items():
            (folder / key).write_bytes(base64.b64decode(value))
            (folder / key).chmod(source.get("defaultMode", 0o644))
        return folder

    @staticmethod
    def _configmap(objects: list[dict], name: str) -> dict:
        [configmap] = [
            o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == name
        ]
        return configmap

    def start(self, name: str, run_args: list[str], hosts: dict[str, str] | None = None) -> str:
        """Start a container; `hosts` maps Service names to container addresses."""
        full = f"{self.prefix}-{name}"
        self.containers.append(full)
        names = [a for host, ip in (hosts or {}).items() for a in ("--add-host", f"{host}:{ip}")]
        docker("run", "--detach", "--name", full, *names, *run_args)
        return full

    def ip(self, container: str) -> str:
        return docker(
            "inspect", "--format", "{{.NetworkSettings.IPAddress}}", container
        ).stdout.strip()

    def remove(self, container: str) -> None:
        docker("rm", "--force", container, check=False)

    def running(self, container: str) -> bool:
        state = docker("inspect", "--format", "{{.State.Running}}", container).stdout.strip()
        return state == "true"

    def failure(self, container: str, what: str) -> AssertionError:
        logs = docker("logs", "--tail", "40", container, check=False)
        return AssertionError(
            f"{container}: {what} (running: {self.running(container)}); "
            f"logs:\n{logs.stdout}{logs.stderr}"
        )

    def wait_for_exec(self, container: str, command: list[str], timeout: float) -> None:
        """Until `command` succeeds in the container (an exec probe)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running(container):
            if docker("exec", container, *command, check=False).returncode == 0:
                return
            time.sleep(1)
        raise self.failure(container, f"{' '.join(command)} did not succeed within {timeout}s")

    def wait_for_http(self, container: str, probe: dict, timeout: float) -> str:
        """Until the container's httpGet probe answers 2xx; returns the base URL."""
        port = probe["port"]
        url = f"http://{self.ip(container)}:{port}"
        headers = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running(container):
            try:
                if httpx.get(url + probe["path"], headers=headers, timeout=5).is_success:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(2)
        raise self.failure(container, f"GET {probe['path']} did not answer within {timeout}s")

    def wait_for_exit(self, container: str, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.running(container):
            if time.monotonic() > deadline:
                raise self.failure(container, f"still running after {timeout}s")
            time.sleep(1)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip()
        return int(code)

    def cleanup(self) -> None:
        for container in self.containers:
            docker("rm", "--force", "--volumes", container, check=False)
        for volume in self.volumes:
            docker("volume", "rm", "--force", volume, check=False)
