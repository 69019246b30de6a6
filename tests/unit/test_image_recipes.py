"""devstack/images without an engine: where image references, versions and the Debian
mirror come from, and the order recipes build in."""

from pathlib import Path

import pytest
import yaml

from devstack.images import debian
from devstack.images.build import in_build_order
from devstack.images.recipes import RECIPES, chart_image, prometheus_module_version
from devstack.paths import REPO_ROOT, chart_dir


def test_references_are_the_ones_the_charts_render_by_default() -> None:
    values = yaml.safe_load((chart_dir("postgresql") / "values.yaml").read_text())["image"]
    assert RECIPES["postgresql"].reference() == (
        f"{values['registry']}/{values['repository']}:{values['tag']}"
    )
    app_version = yaml.safe_load((chart_dir("troll-classifier") / "Chart.yaml").read_text())
    assert RECIPES["troll-classifier"].reference().endswith(f":{app_version['appVersion']}")
    assert chart_image("monitoring", "prometheus") == RECIPES["prometheus"].reference()


def test_the_exporter_image_is_the_postgresql_charts_metrics_sidecar() -> None:
    image = yaml.safe_load((chart_dir("postgresql") / "values.yaml").read_text())["metrics"]
    recipe = RECIPES["postgres-exporter"]
    assert recipe.reference() == (
        f"{image['image']['registry']}/{image['image']['repository']}:{image['image']['tag']}"
    )
    assert recipe.module_version() == image["image"]["tag"]


def test_the_curl_image_is_the_platform_charts_helm_test_image() -> None:
    tests = yaml.safe_load((chart_dir("platform") / "values.yaml").read_text())["tests"]
    image = tests["curlImage"]
    recipe = RECIPES["curl"]
    assert recipe.reference() == f"{image['registry']}/{image['repository']}:{image['tag']}"
    assert recipe.build_args() == {"CURL_MAJOR": str(image["tag"]).split(".")[0]}


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "serving/Dockerfile", "training/Dockerfile"])
def test_python_is_every_model_service_dockerfiles_from(dockerfile: str) -> None:
    text = (REPO_ROOT / "model_service" / dockerfile).read_text()
    assert f"FROM {RECIPES['python'].reference()}" in text
    assert RECIPES["python"].version() == RECIPES["python"].reference().split(":")[1][:4]


def test_the_serving_image_copies_what_the_bento_includes() -> None:
    """The generic image and the Bento hold the same service files (their Dockerfiles
    aside), so both images serve the same code."""
    bento = yaml.safe_load((REPO_ROOT / "model_service" / "bentofile.yaml").read_text())
    included = {
        path.relative_to(REPO_ROOT).as_posix()
        for pattern in bento["include"]
        for path in REPO_ROOT.glob(pattern)
        if path.suffix == ".py"
    }
    dockerfile = REPO_ROOT / "model_service" / "serving" / "Dockerfile"
    copies = [
        line.split()[1:-1]
        for line in dockerfile.read_text().splitlines()
        if line.startswith("COPY model_service/") and ".py" in line
    ]
    copied = {
        path.relative_to(REPO_ROOT).as_posix()
        for sources in copies
        for source in sources
        for path in REPO_ROOT.glob(source)
    }
    assert copied == included


def test_the_baked_image_is_the_one_values_local_runs() -> None:
    local = yaml.safe_load((REPO_ROOT / "values" / "local.yaml").read_text())
    image = local["troll-classifier"]["image"]
    assert RECIPES["troll-classifier-baked"].reference().startswith(f"{image['repository']}:")
    assert local["troll-classifier"]["model"]["source"] == "baked"


@pytest.mark.parametrize(
    ("tag", "module"), [("v3.13.3", "v0.313.3"), ("v3.5.0", "v0.305.0"), ("v4.0.1", "v0.400.1")]
)
def test_prometheus_release_maps_to_its_go_module_version(tag: str, module: str) -> None:
    assert prometheus_module_version(tag) == module


def test_a_prometheus_tag_that_is_no_release_is_refused() -> None:
    with pytest.raises(ValueError, match="v3.13"):
        prometheus_module_version("v3.13")


def test_needs_come_first_and_only_what_is_asked_is_built() -> None:
    order = [r.name for r in in_build_order(["troll-classifier"])]
    assert order == ["debian-base", "python", "troll-classifier"]
    assert [r.name for r in in_build_order([])] == list(RECIPES)
    with pytest.raises(KeyError, match="nosuch"):
        in_build_order(["nosuch"])


def test_mirror_comes_from_apt_sources_not_security(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "a.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n"
    )
    assert debian.configured_mirror(tmp_path) == "http://mirror.example/debian"


def test_one_line_sources_and_a_clear_error_when_none(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    with pytest.raises(RuntimeError, match="no Debian package mirror"):
        debian.configured_mirror(tmp_path)
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [signed-by=/k.gpg] http://other.example/debian trixie main\n"
    )
    assert debian.configured_mirror(tmp_path) == "http://other.example/debian"
