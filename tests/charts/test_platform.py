"""What only the umbrella chart can assert: components switch off cleanly, and
the Raspberry Pi profile puts no amd64-only image on an arm64 node."""

import tarfile
from pathlib import Path

import pytest
import yaml

from devstack import charts
from devstack.paths import PLATFORM_CHART, PROFILES_DIR, SUBCHARTS_DIR
from tests.harness import chart_cases, fresh_clone, workloads
from tests.harness.helm_release import profile_values

UMBRELLA = PLATFORM_CHART
MULTIARCH = yaml.safe_load((Path(__file__).parent / "multiarch-images.yaml").read_text())


def components() -> list[str]:
    meta = yaml.safe_load((UMBRELLA / "Chart.yaml").read_text())
    return [d["name"] for d in meta["dependencies"] if d.get("condition")]


def owner(obj: dict) -> str:
    """The component an object belongs to: its subchart, or for the umbrella's own
    test hooks the component they check."""
    chart = workloads.chart_of(obj)
    component = (obj["metadata"].get("labels") or {}).get("app.kubernetes.io/component", "")
    if chart == charts.UMBRELLA and component.startswith("test-"):
        return component.removeprefix("test-")
    return chart


def identities(objects) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


# Components whose parts are all opt-in get one part switched on here.
OPT_IN = {"cert-issuers": {"selfSignedCA": {"enabled": True}}}


@pytest.mark.parametrize("component", components())
def test_switching_a_component_off_removes_exactly_its_objects(component: str) -> None:
    everything = {name: {"enabled": True, **OPT_IN.get(name, {})} for name in components()}
    on = charts.render(UMBRELLA, everything)
    off = charts.render(UMBRELLA, {**everything, component: {"enabled": False}})
    own = {(o["kind"], o["metadata"]["name"]) for o in on if owner(o) == component}
    assert own, f"{component} renders nothing when enabled"
    assert identities(on) - identities(off) == own, f"disabling {component} removed other objects"
    assert identities(off) <= identities(on), f"disabling {component} added objects"


def image_repository(image: str) -> str:
    """Repository without registry mirror prefix, tag or digest: docker.io/library/postgres."""
    return (
        image.split("@", maxsplit=1)[0].rsplit(":", 1)[0]
        if ":" in image.rsplit("/", maxsplit=1)[-1]
        else image
    )


def arm64_pods(objects):
    for w in workloads.workloads(objects):
        selector = w.pod_spec.get("nodeSelector") or {}
        if selector.get("kubernetes.io/arch") != "amd64":
            yield w


def test_raspberry_pi_profile_schedules_only_multiarch_images_on_arm64() -> None:
    values = charts.load_values(PROFILES_DIR / "raspberry-pi.yaml")
    objects = charts.render(UMBRELLA, values)
    known = {entry["image"] for entry in MULTIARCH}
    offending = {
        f"{w.kind}/{w.name}: {c['image']}"
        for w in arm64_pods(objects)
        for _, c in workloads.containers(w.pod_spec)
        if image_repository(c["image"]) not in known
    }
    assert not offending, "images not known to be multi-arch on arm64 nodes:\n" + "\n".join(
        sorted(offending)
    )


def test_raspberry_pi_profile_pins_every_pod_to_arm64() -> None:
    objects = charts.render(UMBRELLA, charts.load_values(PROFILES_DIR / "raspberry-pi.yaml"))
    unpinned = [
        f"{w.kind}/{w.name}"
        for w in workloads.workloads(objects)
        if (w.pod_spec.get("nodeSelector") or {}).get("kubernetes.io/arch") != "arm64"
    ]
    assert not unpinned, f"pods without nodeSelector kubernetes.io/arch=arm64: {unpinned}"


def test_multiarch_list_gives_evidence_for_each_image() -> None:
    for entry in MULTIARCH:
        assert entry.get("image") and entry.get("evidence"), entry


def test_issuers_without_cert_manager_fail_with_a_clear_message() -> None:
    values = {"cert-issuers": {"enabled": True, **OPT_IN["cert-issuers"]}}
    with pytest.raises(Exception, match="cert-manager is not installed") as failure:
        charts.render(UMBRELLA, values, with_crds=False)
    assert "Install cert-manager first" in str(failure.value)


@pytest.mark.parametrize("profile", sorted(PROFILES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_notes_tell_how_to_reach_and_log_in_to_each_component(profile: Path) -> None:
    values = charts.load_values(profile)
    notes = chart_cases.render_notes(UMBRELLA, values)
    enabled = {name for name in components() if (values.get(name) or {}).get("enabled")}
    expected = {
        "mlflow": "MLflow",
        "troll-classifier": "/classify",
        "webapp": "the data workbench at /workbench",
        "harbor": "HARBOR_ADMIN_PASSWORD",
        "postgresql": "postgres-password",
        "monitoring": "Grafana",
    }
    for component, text in expected.items():
        assert (text in notes) == (component in enabled), f"{profile.stem}: {component}\n{notes}"


def test_prometheus_scrapes_mlflow_under_auth_with_the_login_mlflow_is_given() -> None:
    """With MLflow's auth on, /metrics wants a login: the Secret the MLflow pod's init
    container sets as a user is the one Prometheus' mlflow job reads."""
    objects = charts.render(
        UMBRELLA,
        {"mlflow": {"enabled": True, "auth": {"enabled": True}, "metrics": {"enabled": True}}},
    )
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    mlflow = by_name[("Deployment", "mlops-mlflow")]["spec"]["template"]
    prometheus = by_name[("Deployment", "mlops-monitoring-prometheus")]["spec"]["template"]

    assert mlflow["metadata"]["annotations"]["mlops-platform.io/scrape-login"] == "mlflow"
    init = {c["name"]: c for c in mlflow["spec"]["initContainers"]}["scrape-user"]
    set_from = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in init["env"]
        if e["name"] in ("LOGIN_USERNAME", "LOGIN_PASSWORD")
    }
    assert {e["name"]: e.get("value") for e in init["env"]}["LOGIN_IS_ADMIN"] == "true"
    read_from = {v["name"]: v for v in prometheus["spec"]["volumes"]}["mlflow-scrape-login"][
        "secret"
    ]
    assert set_from == {read_from["secretName"]}, (set_from, read_from)
    login = by_name[("Secret", read_from["secretName"])]
    assert set(login["data"]) == {"username", "password"}

    config = yaml.safe_load(
        next(
            o["data"]["prometheus.yml"]
            for o in objects
            if o["kind"] == "ConfigMap" and "prometheus.yml" in o.get("data", {})
        )
    )
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    (mount,) = [
        m["mountPath"]
        for m in prometheus["spec"]["containers"][0]["volumeMounts"]
        if m["name"] == "mlflow-scrape-login"
    ]
    assert jobs["mlflow"]["basic_auth"] == {
        "username_file": f"{mount}/username",
        "password_file": f"{mount}/password",
    }
    # The login job takes exactly the annotated pods; the anonymous job leaves them out.
    annotation = "__meta_kubernetes_pod_annotation_mlops_platform_io_scrape_login"
    first = {name: jobs[name]["relabel_configs"][0] for name in ("mlflow", "kubernetes-pods")}
    assert first["mlflow"] == {"source_labels": [annotation], "action": "keep", "regex": "mlflow"}
    assert first["kubernetes-pods"] == {
        "source_labels": [annotation],
        "action": "drop",
        "regex": ".+",
    }


def test_a_scrape_login_named_like_the_admin_fails_naming_both_keys() -> None:
    mlflow = {
        "enabled": True,
        "auth": {"enabled": True, "adminUsername": "root"},
        "metrics": {"enabled": True, "scrapeLogin": {"username": "root"}},
    }
    with pytest.raises(Exception, match="metrics.scrapeLogin.username") as failure:
        charts.render(UMBRELLA, {"mlflow": mlflow})
    assert "auth.adminUsername" in str(failure.value)


def without_api_versions(args: list[str], group: str) -> list[str]:
    """helm arguments less every `--api-versions <group>...` pair."""
    kept: list[str] = []
    for arg in args:
        if arg.startswith(group) and kept[-1:] == ["--api-versions"]:
            kept.pop()
        else:
            kept.append(arg)
    return kept


def test_the_readmes_offline_render_of_prod_works_on_a_fresh_clone(tmp_path: Path) -> None:
    """As written, with no build step first, on the files a clone has (no packaged chart),
    and it needs its API versions: without either group, the charts say what is missing."""
    command = fresh_clone.readme_command("offline-render")
    assert command[:2] == ["helm", "template"], command
    clone = fresh_clone.tracked_copy(tmp_path, *fresh_clone.CHART_FILES)
    rendered = charts.run_helm(*command[1:], check=False, cwd=clone)
    assert rendered.returncode == 0, rendered.stderr
    kinds = {o["kind"] for o in yaml.safe_load_all(rendered.stdout) if o}
    assert "ClusterIssuer" in kinds, kinds
    args = command[1:]
    for group, message in [
        ("cert-manager.io/", "cert-manager is not installed"),
        ("gateway.networking.k8s.io/", "the Gateway API is not installed"),
    ]:
        bare = without_api_versions(args, group)
        refused = charts.run_helm(*bare, check=False, cwd=clone)
        assert refused.returncode != 0 and message in refused.stderr, refused.stderr


def test_the_subcharts_standalone_copies_of_common_stay_out_of_the_umbrella(
    tmp_path: Path,
) -> None:
    """The umbrella's subcharts are folders, and git tracks no packaged chart. The copies
    of the library that `make chart-deps` (run by this tier) packages into each subchart
    for standalone use never reach the umbrella: its .helmignore leaves them out."""
    assert not list(fresh_clone.tracked_copy(tmp_path / "clone", "charts").rglob("*.tgz"))
    copies = list(SUBCHARTS_DIR.glob("*/charts/common-*.tgz"))
    assert copies, "make chart-deps packaged no standalone copy of common"
    charts.run_helm("package", UMBRELLA, "--destination", tmp_path)
    with tarfile.open(next(tmp_path.glob("platform-*.tgz"))) as archive:
        packaged = [m.name for m in archive.getmembers() if m.name.endswith(".tgz")]
    assert packaged == [], packaged


def test_prod_model_pods_use_the_login_mlflow_keeps_for_them() -> None:
    """prod serves the registry alias and trains in the cluster under MLflow's auth: the
    serving and training pods read the Secret that the MLflow pod's `model-user` init
    container sets as an ordinary (non-admin) user."""
    objects = charts.render(UMBRELLA, profile_values("prod"))
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    mlflow = by_name[("Deployment", "mlops-mlflow")]["spec"]["template"]["spec"]
    init = {c["name"]: c for c in mlflow["initContainers"]}["model-user"]
    init_env = {e["name"]: e.get("value", e.get("valueFrom")) for e in init["env"]}
    assert init_env["LOGIN_IS_ADMIN"] == "false"
    secret = init_env["LOGIN_PASSWORD"]["secretKeyRef"]["name"]
    assert secret == "mlops-mlflow-model-login"
    assert set(by_name[("Secret", secret)]["data"]) == {"username", "password"}
    model_pods = [
        by_name[("Deployment", "mlops-troll-classifier")]["spec"]["template"]["spec"],
        *(
            o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            if o["kind"] == "CronJob"
            else o["spec"]["template"]["spec"]
            for o in objects
            if o["kind"] in ("Job", "CronJob")
            and o["metadata"]["labels"].get("app.kubernetes.io/component") == "training"
        ),
    ]
    assert len(model_pods) == 3  # serving, first champion, CronJob
    for pod in model_pods:
        env = {e["name"]: e.get("valueFrom") for e in pod["containers"][0]["env"]}
        for variable, key in (
            ("MLFLOW_TRACKING_USERNAME", "username"),
            ("MLFLOW_TRACKING_PASSWORD", "password"),
        ):
            assert env[variable]["secretKeyRef"] == {"name": secret, "key": key}
