"""The images this machine builds, in build order. Each names the reference the charts
use (read from the charts and the project's Dockerfile, so a chart installs the local
build unchanged), the version it pins, the inputs whose content decides whether it must
be rebuilt, and how it is built."""

import os
import re
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.console import say
from devstack.images import debian, gomodule
from devstack.images.docker import stream
from devstack.model_servers import run_cli
from devstack.paths import REPO_ROOT, cache_dir, chart_dir, recorded_bento

RECIPES_DIR = Path(__file__).resolve().parent
MODEL_DOCKERFILE = REPO_ROOT / "model_service" / "Dockerfile"
SERVING_DOCKERFILE = REPO_ROOT / "model_service" / "serving" / "Dockerfile"
TRAINING_DOCKERFILE = REPO_ROOT / "model_service" / "training" / "Dockerfile"
WEBAPP_DOCKERFILE = REPO_ROOT / "webapp" / "Dockerfile"
# Where the training image's build finds the exported encoder (the root .dockerignore
# lets it through).
ENCODER_EXPORT = REPO_ROOT / ".run" / "encoder"
BENTO_DIR_ENV = "MLOPS_BENTO_DIR"
# Debian's postgresql-<major> comes from this suite (trixie ships 17, bookworm 15).
POSTGRES_SUITE = "trixie"


def work_dir() -> Path:
    return cache_dir() / "images"


def chart_image(chart: str, *keys: str, image_key: str = "image") -> str:
    """registry/repository:tag as charts/common's "common.image" renders the chart's
    default image (an empty tag is the chart's appVersion)."""
    values = yaml.safe_load((chart_dir(chart) / "values.yaml").read_text())
    image = values
    for key in (*keys, image_key):
        image = image[key]
    return image_reference(chart, image)


def profile_image(profile: str, chart: str) -> str:
    """The image a values profile (values/<profile>.yaml) gives a subchart, over the
    chart's defaults."""
    chart_values = yaml.safe_load((chart_dir(chart) / "values.yaml").read_text())["image"]
    profile_values = yaml.safe_load((REPO_ROOT / "values" / f"{profile}.yaml").read_text())
    return image_reference(chart, {**chart_values, **profile_values[chart]["image"]})


def image_reference(chart: str, image: dict) -> str:
    tag = str(image.get("tag") or "")
    if not tag:
        tag = str(yaml.safe_load((chart_dir(chart) / "Chart.yaml").read_text())["appVersion"])
    registry = image.get("registry") or ""
    return f"{registry}/{image['repository']}:{tag}" if registry else f"{image['repository']}:{tag}"


def tag_of(reference: str) -> str:
    return reference.rsplit(":", 1)[1]


def dockerfile_from(dockerfile: Path) -> str:
    for line in dockerfile.read_text().splitlines():
        if line.strip().upper().startswith("FROM "):
            return line.split()[1]
    raise ValueError(f"{dockerfile} has no FROM line")


def machine_ca_bundle() -> Path:
    """The CA bundle this machine's TLS clients trust (pip's, then OpenSSL's)."""
    candidates = [os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE")]
    candidates.append(ssl.get_default_verify_paths().openssl_cafile)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise FileNotFoundError(
        "no CA bundle found (tried $PIP_CERT, $SSL_CERT_FILE and OpenSSL's default); "
        "install Debian's ca-certificates"
    )


def files_under(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        yield str(path.relative_to(root)), path.read_bytes()


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str
    needs: tuple[str, ...] = ()

    def reference(self) -> str:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        raise NotImplementedError

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class DebianBase(Recipe):
    suite: str = "bookworm"

    def reference(self) -> str:
        return f"mlops-local/debian:{self.suite}"

    def version(self) -> str:
        return self.suite

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        yield "recipe", debian.base_recipe(self.suite).encode()

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        debian.build_base(self.suite, reference, labels, work_dir())


def docker_build(
    context: Path,
    reference: str,
    labels: dict[str, str],
    args: dict[str, str],
    dockerfile: Path | None = None,
) -> None:
    """The legacy builder on the host's network (the engine adds no NAT; see
    toolchain/container-engine.sh); nothing is pulled or pushed."""
    command = ["docker", "build", "--network", "host", "--tag", reference]
    command += [a for key, value in labels.items() for a in ("--label", f"{key}={value}")]
    command += [a for key, value in args.items() for a in ("--build-arg", f"{key}={value}")]
    if dockerfile:
        command += ["--file", str(dockerfile)]
    stream([*command, str(context)], prefix=f"docker build {reference}")


@dataclass(frozen=True)
class PythonImage(Recipe):
    """The model service's FROM, from Debian's Python on the matching Debian base."""

    context: Path = RECIPES_DIR / "python"

    def reference(self) -> str:
        return dockerfile_from(MODEL_DOCKERFILE)

    def version(self) -> str:
        match = re.fullmatch(r"(\d+\.\d+)(?:\.\d+)?-slim-([a-z]+)", tag_of(self.reference()))
        if not match:
            raise ValueError(
                f"model_service/Dockerfile's FROM {self.reference()} is not python:X.Y-slim-SUITE"
            )
        return match.group(1)

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        yield from files_under(self.context)
        yield "machine-ca-bundle.crt", machine_ca_bundle().read_bytes()

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        suite = tag_of(self.reference()).rsplit("-", 1)[1]
        if tag_of(parents[0]) != suite:
            raise ValueError(f"{reference} names Debian {suite}, but its base is {parents[0]}")
        with tempfile.TemporaryDirectory(dir=_mkdir(work_dir()), prefix="python-") as tmp:
            shutil.copytree(self.context, tmp, dirs_exist_ok=True)
            shutil.copyfile(machine_ca_bundle(), Path(tmp) / "machine-ca-bundle.crt")
            args = {"BASE": parents[0], "PYTHON_VERSION": self.version()}
            docker_build(Path(tmp), reference, labels, args)


def bento_dir() -> Path:
    """The Bento to package: $MLOPS_BENTO_DIR, else the one `make model` recorded."""
    given = os.environ.get(BENTO_DIR_ENV) or recorded_bento()
    if not given:
        raise FileNotFoundError(
            "no Bento to build the troll-classifier image from: run `make model` (it records "
            f"the Bento's path in .run/bento-path) or pass --bento DIR (${BENTO_DIR_ENV})"
        )
    bento = Path(given)
    if not (bento / "src" / "model_service" / "Dockerfile").is_file():
        raise FileNotFoundError(f"{bento} is not a Bento with src/model_service/Dockerfile")
    return bento


@dataclass(frozen=True)
class ServingImage(Recipe):
    """model_service/serving/Dockerfile as the CI pipelines build it: the generic serving
    image (no model in it), from the repository root."""

    def reference(self) -> str:
        return chart_image("troll-classifier")

    def version(self) -> str:
        return tag_of(self.reference())

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        # Training code and the bundled data are not in it: changing them rebuilds nothing.
        for name, data in files_under(REPO_ROOT / "model_service"):
            if name.split("/")[0] not in ("training", "data"):
                yield f"model_service/{name}", data
        yield ".dockerignore", (REPO_ROOT / ".dockerignore").read_bytes()

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        docker_build(REPO_ROOT, reference, labels, {}, SERVING_DOCKERFILE)


@dataclass(frozen=True)
class BakedModelImage(Recipe):
    """model_service/Dockerfile as the CI pipelines build it: from the Bento directory,
    with the Dockerfile the Bento carries, under the name values/local.yaml runs it by."""

    def reference(self) -> str:
        return profile_image("local", "troll-classifier")

    def version(self) -> str:
        return tag_of(self.reference())

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        yield from files_under(bento_dir())

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        bento = bento_dir()
        docker_build(bento, reference, labels, {}, bento / "src" / "model_service" / "Dockerfile")


@dataclass(frozen=True)
class TrainingImage(Recipe):
    """model_service/training/Dockerfile as the CI pipelines build it: from the repository
    root, after `export-encoder` wrote the encoder it trains with."""

    def reference(self) -> str:
        return chart_image("troll-classifier", "training")

    def version(self) -> str:
        return tag_of(self.reference())

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        for name, data in files_under(REPO_ROOT / "model_service"):
            yield f"model_service/{name}", data
        yield ".dockerignore", (REPO_ROOT / ".dockerignore").read_bytes()
        # The libraries the encoder is exported with.
        yield "uv.lock", (REPO_ROOT / "uv.lock").read_bytes()

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        # Exported afresh: a folder from an earlier export may hold another model.
        shutil.rmtree(ENCODER_EXPORT, ignore_errors=True)
        ENCODER_EXPORT.parent.mkdir(parents=True, exist_ok=True)
        say(f"exporting the encoder to {ENCODER_EXPORT.relative_to(REPO_ROOT)}")
        run_cli("export-encoder", "--out", str(ENCODER_EXPORT), env=dict(os.environ))
        docker_build(REPO_ROOT, reference, labels, {}, TRAINING_DOCKERFILE)


@dataclass(frozen=True)
class WebAppImage(Recipe):
    """webapp/Dockerfile as the CI pipelines build it, from the repository root."""

    def reference(self) -> str:
        return chart_image("webapp")

    def version(self) -> str:
        return tag_of(self.reference())

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        for source in copied_sources(WEBAPP_DOCKERFILE):
            path = REPO_ROOT / source
            if path.is_dir():
                yield from ((f"{source}/{name}", data) for name, data in files_under(path))
            else:
                yield source, path.read_bytes()
        yield ".dockerignore", (REPO_ROOT / ".dockerignore").read_bytes()

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        docker_build(REPO_ROOT, reference, labels, {}, WEBAPP_DOCKERFILE)


def copied_sources(dockerfile: Path) -> list[str]:
    """The build-context paths a Dockerfile's COPY lines take (the image's inputs)."""
    sources = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


@dataclass(frozen=True)
class ChartImage(Recipe):
    """A Dockerfile of ours on a parent image, tagged as a chart's default image."""

    chart: str = ""
    context: Path = RECIPES_DIR
    # Keys above the image's in the chart's values, e.g. ("prometheus",).
    keys: tuple[str, ...] = ()
    image_key: str = "image"

    def reference(self) -> str:
        return chart_image(self.chart, *self.keys, image_key=self.image_key)

    def version(self) -> str:
        return tag_of(self.reference())

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        yield from files_under(self.context)

    def build_args(self) -> dict[str, str]:
        return {}

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        docker_build(self.context, reference, labels, {"BASE": parents[0], **self.build_args()})


class PostgresImage(ChartImage):
    def build_args(self) -> dict[str, str]:
        return {"PG_MAJOR": self.version().split(".")[0]}


class MlflowImage(ChartImage):
    def build_args(self) -> dict[str, str]:
        match = re.match(r"v?(\d+\.\d+\.\d+)", self.version())
        if not match:
            raise ValueError(f"the mlflow chart's tag {self.version()} names no X.Y.Z version")
        return {"MLFLOW_VERSION": match.group(1)}


class CurlImage(ChartImage):
    def build_args(self) -> dict[str, str]:
        major = self.version().split(".")[0]
        if not major.isdigit():
            raise ValueError(f"the platform chart's curl tag {self.version()} is not X.Y.Z")
        return {"CURL_MAJOR": major}


@dataclass(frozen=True)
class GoModuleImage(ChartImage):
    """Static binaries (CGO off) from a Go module at the version the chart pins, under
    a Dockerfile of ours that gives them the upstream image's contract."""

    module: str = ""
    # Binary name -> package path inside the module ("" = the module's root package).
    commands: tuple[tuple[str, str], ...] = ()
    # Where `-X ...Version=` stamps the version (Prometheus' projects: prometheus/common).
    version_package: str = "github.com/prometheus/common/version"

    def module_version(self) -> str:
        return self.version()

    def inputs(self) -> Iterator[tuple[str, bytes]]:
        yield from files_under(self.context)
        yield "go", gomodule.go_version().encode()

    def copy_from_source(self, source: Path, context: Path) -> None:
        """Files the image takes from the module's source besides the binaries."""

    def build(self, reference: str, labels: dict[str, str], parents: list[str]) -> None:
        stamp = f"-X {self.version_package}."
        version = self.version().lstrip("v")
        ldflags = f"{stamp}Version={version} {stamp}Branch=HEAD {stamp}BuildUser=local-build"
        with tempfile.TemporaryDirectory(dir=_mkdir(work_dir()), prefix=f"{self.name}-") as tmp:
            context = Path(tmp)
            source = gomodule.build_binaries(
                self.module,
                self.module_version(),
                {name: package_path(self.module, package) for name, package in self.commands},
                context,
                cache=cache_dir(),
                ldflags=ldflags,
            )
            shutil.copytree(self.context, context, dirs_exist_ok=True)
            self.copy_from_source(source, context)
            docker_build(context, reference, labels, {"BASE": parents[0]})


def package_path(module: str, package: str) -> str:
    """Import path of a package inside a module ("" = the module's root package)."""
    return f"{module}/{package}" if package else module


def prometheus_module_version(tag: str) -> str:
    """Prometheus vX.Y.Z is Go module version v0.X(YY).Z (Prometheus's module scheme)."""
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", tag)
    if not match:
        raise ValueError(f"the monitoring chart's Prometheus tag {tag} is not vX.Y.Z")
    major, minor, patch = match.groups()
    return f"v0.{major}{int(minor):02d}.{patch}"


class PrometheusImage(GoModuleImage):
    def module_version(self) -> str:
        return prometheus_module_version(self.version())

    def copy_from_source(self, source: Path, context: Path) -> None:
        example = source / "documentation" / "examples" / "prometheus.yml"
        shutil.copyfile(example, context / "prometheus.yml")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        DebianBase("debian-base", "Debian bookworm minbase (debootstrap)", suite="bookworm"),
        DebianBase(
            "debian-base-trixie", "Debian trixie minbase (debootstrap)", suite=POSTGRES_SUITE
        ),
        PythonImage("python", "Debian's Python as python:X.Y-slim-SUITE", ("debian-base",)),
        ServingImage(
            "troll-classifier",
            "model_service/serving/Dockerfile: serves the registry's champion, as CI builds it",
            ("python",),
        ),
        BakedModelImage(
            "troll-classifier-baked",
            "model_service/Dockerfile on a Bento (the champion baked in), as CI builds it",
            ("python",),
        ),
        TrainingImage(
            "troll-classifier-training",
            "model_service/training/Dockerfile: retrain without torch, as CI builds it",
            ("python",),
        ),
        WebAppImage("webapp", "webapp/Dockerfile: the try-it page and the workbench", ("python",)),
        PostgresImage(
            "postgresql",
            "PostgreSQL from Debian with the official image's contract",
            ("debian-base-trixie",),
            chart="postgresql",
            context=RECIPES_DIR / "postgres",
        ),
        MlflowImage(
            "mlflow",
            "MLflow from PyPI with the extras the chart uses (PostgreSQL, S3, auth, metrics)",
            ("python",),
            chart="mlflow",
            context=RECIPES_DIR / "mlflow",
        ),
        PrometheusImage(
            "prometheus",
            "Prometheus from its Go module (CGO off) with the official image's contract",
            ("debian-base",),
            chart="monitoring",
            context=RECIPES_DIR / "prometheus",
            keys=("prometheus",),
            module="github.com/prometheus/prometheus",
            commands=(("prometheus", "cmd/prometheus"), ("promtool", "cmd/promtool")),
        ),
        GoModuleImage(
            "postgres-exporter",
            "postgres_exporter from its Go module (CGO off) with the official image's contract",
            ("debian-base",),
            chart="postgresql",
            context=RECIPES_DIR / "postgres-exporter",
            keys=("metrics",),
            module="github.com/prometheus-community/postgres_exporter",
            commands=(("postgres_exporter", "cmd/postgres_exporter"),),
        ),
        GoModuleImage(
            "kube-state-metrics",
            "kube-state-metrics from its Go module (CGO off) with the official image's contract",
            ("debian-base",),
            chart="monitoring",
            context=RECIPES_DIR / "kube-state-metrics",
            keys=("kubeStateMetrics",),
            module="k8s.io/kube-state-metrics/v2",
            commands=(("kube-state-metrics", ""),),
        ),
        CurlImage(
            "curl",
            "Debian's curl (same major as the chart's pin) with the official image's contract",
            ("debian-base-trixie",),
            chart="platform",
            context=RECIPES_DIR / "curl",
            keys=("tests",),
            image_key="curlImage",
        ),
    )
}
