"""Workload invariants, written once and applied to every rendered Pod spec.

Each check returns human-readable violations; an empty list means the object
follows the platform's security and operability defaults (DESIGN.md).
Documented exceptions live in tests/charts/invariant-exceptions.yaml.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
# Pods that run to completion are not probed.
RUN_TO_COMPLETION = {"Job", "CronJob", "Pod"}
REQUIRED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")
# Rule names, as exceptions in tests/charts/invariant-exceptions.yaml name them.
POD_RULES = frozenset({"runAsNonRoot", "seccompProfile"})
CONTAINER_RULES = frozenset(
    {
        "runAsRoot",
        "allowPrivilegeEscalation",
        "dropCapabilities",
        "addCapabilities",
        "readOnlyRootFilesystem",
        "privileged",
    }
)
PINNED_TAG = re.compile(r"^[^@]+:(?!latest$)[\w][\w.-]{0,127}$|@sha256:[a-f0-9]{64}$")


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    pod_spec: dict
    pod_labels: dict
    chart: str  # the (sub)chart that rendered it, from the helm.sh/chart label

    @property
    def runs_to_completion(self) -> bool:
        return self.kind in RUN_TO_COMPLETION


def chart_of(obj: dict) -> str:
    """The (sub)chart that rendered an object, from its helm.sh/chart label (name-version)."""
    label = (obj["metadata"].get("labels") or {}).get("helm.sh/chart", "")
    return label.rsplit("-", 1)[0]


def workloads(objects) -> Iterator[Workload]:
    for obj in objects:
        path = POD_TEMPLATE_PATHS.get(obj.get("kind"))
        if not path:
            continue
        spec = obj
        for key in path:
            spec = spec.get(key) or {}
        template = obj
        for key in path[:-1]:
            template = template.get(key) or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        yield Workload(obj["kind"], obj["metadata"]["name"], spec, labels, chart_of(obj))


def containers(pod_spec: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("initContainers", "containers"):
        for container in pod_spec.get(kind) or []:
            yield kind, container


def pod_security_violations(w: Workload) -> dict[str, str]:
    """Violations keyed by rule name (runAsNonRoot, seccompProfile)."""
    ctx = w.pod_spec.get("securityContext") or {}
    problems = {}
    if ctx.get("runAsNonRoot") is not True:
        problems["runAsNonRoot"] = "pod securityContext.runAsNonRoot is not true"
    elif not isinstance(ctx.get("runAsUser"), int) or ctx["runAsUser"] == 0:
        problems["runAsNonRoot"] = "pod securityContext.runAsUser is not a fixed non-zero UID"
    if (ctx.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems["seccompProfile"] = "pod securityContext.seccompProfile.type is not RuntimeDefault"
    return problems


def container_security_violations(container: dict, pod_spec: dict | None = None) -> dict[str, str]:
    """Violations keyed by rule name, so exceptions can name the rule they waive.
    runAsRoot looks at the effective user: the container's setting over the pod's."""
    ctx = container.get("securityContext") or {}
    pod_ctx = (pod_spec or {}).get("securityContext") or {}
    problems = {}
    non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
    user = ctx.get("runAsUser", pod_ctx.get("runAsUser"))
    if non_root is not True or user == 0:
        problems["runAsRoot"] = f"runs as root (runAsNonRoot={non_root}, runAsUser={user})"
    if ctx.get("allowPrivilegeEscalation") is not False:
        problems["allowPrivilegeEscalation"] = "allowPrivilegeEscalation is not false"
    if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
        problems["dropCapabilities"] = "capabilities.drop does not contain ALL"
    if (ctx.get("capabilities") or {}).get("add"):
        problems["addCapabilities"] = f"adds capabilities {ctx['capabilities']['add']}"
    if ctx.get("readOnlyRootFilesystem") is not True:
        problems["readOnlyRootFilesystem"] = "readOnlyRootFilesystem is not true"
    if ctx.get("privileged"):
        problems["privileged"] = "runs privileged"
    return problems


def resource_violations(container: dict) -> list[str]:
    resources = container.get("resources") or {}
    problems = []
    for section, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
        for key in keys:
            if not (resources.get(section) or {}).get(key):
                problems.append(f"resources.{section}.{key} is not set")
    return problems


def probe_violations(container: dict) -> list[str]:
    return [
        f"{probe} is missing"
        for probe in ("livenessProbe", "readinessProbe")
        if not container.get(probe)
    ]


def image_violations(container: dict) -> list[str]:
    image = container.get("image") or ""
    if not PINNED_TAG.search(image):
        return [f"image {image!r} is not pinned to a version tag or digest"]
    return []


def label_violations(w: Workload) -> list[str]:
    return [
        f"pod label {label} is missing" for label in REQUIRED_LABELS if label not in w.pod_labels
    ]
