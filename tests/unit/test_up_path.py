"""`make up`'s choice between real containers and local processes, and what the
container path records for `make status` and `make down`: its port-forwards, the
Bento it packages, the static volumes it makes on the real node."""

import shutil
import subprocess

import pytest
import yaml

from devstack import paths, status
from devstack.cluster.local import LocalCluster
from devstack.node import node
from devstack.paths import TOOLS_BIN, recorded_bento
from devstack.port_forward import start_port_forward
from devstack.processes import alive
from devstack.real_node_platform import OVERLAY, STORAGE_CLASS, local_volumes
from devstack.state import CONTAINERS, PATH_KEY
from devstack.up_containers import containers_unavailable_reason, stop_forwards

NODE_CAN_RUN = not (LocalCluster.unavailable_reason() or node.unavailable_reason())


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "300"], start_new_session=True)


def test_the_environment_keeps_up_on_processes(monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_UP", "processes")
    assert containers_unavailable_reason() == "$MLOPS_UP=processes"


def test_without_root_up_says_a_real_node_needs_it(monkeypatch) -> None:
    monkeypatch.delenv("MLOPS_UP", raising=False)
    monkeypatch.setattr(node.os, "geteuid", lambda: 1000)
    expected = LocalCluster.unavailable_reason() or "a real node needs root"
    assert expected in containers_unavailable_reason()


@pytest.mark.skipif(not NODE_CAN_RUN, reason="the real node cannot run here")
def test_without_any_docker_up_names_the_missing_engine(tmp_path, monkeypatch) -> None:
    # A PATH with the node's system commands but neither docker nor dockerd.
    for command in node.SYSTEM_COMMANDS:
        (tmp_path / command).symlink_to(shutil.which(command))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MLOPS_UP", raising=False)
    reason = containers_unavailable_reason()
    assert (
        reason == "the docker command is not installed, and dockerd is not installed to start one"
    )


@pytest.mark.skipif(not NODE_CAN_RUN, reason="the real node cannot run here")
def test_a_machine_with_the_node_and_dockerd_takes_the_container_path(monkeypatch) -> None:
    monkeypatch.delenv("MLOPS_UP", raising=False)
    if not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed")
    assert containers_unavailable_reason() is None


def test_stopping_forwards_ends_each_recorded_process_and_forgets_them() -> None:
    forwards = [sleeper(), sleeper()]
    state = {
        "forwards": {
            f"mlops-{i}": {"pid": p.pid, "url": f"http://127.0.0.1:{9000 + i}"}
            for i, p in enumerate(forwards)
        },
        "kubeconfig": "/k/config",
    }
    try:
        stop_forwards(state)
        for process in forwards:
            process.wait(timeout=10)
            assert not alive(process.pid)
        assert state == {"kubeconfig": "/k/config"}
    finally:
        for process in forwards:
            if process.poll() is None:
                process.kill()


def test_status_of_the_container_path_flags_a_stopped_forward(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_RUN_DIR", str(tmp_path))
    running, finished = sleeper(), subprocess.Popen(["true"])
    finished.wait()
    try:
        report = status.status_report(
            {
                PATH_KEY: CONTAINERS,
                "kubeconfig": "/k/config",
                "prometheus_url": "http://127.0.0.1:9090",
                "forwards": {
                    "mlops-monitoring-prometheus": {"pid": running.pid, "url": "-"},
                    "mlops-mlflow": {"pid": finished.pid, "url": "-"},
                },
            }
        )
    finally:
        running.kill()
        running.wait()
    assert "real containers" in report
    assert "Prometheus  http://127.0.0.1:9090/targets" in report
    assert f"svc/mlops-mlflow (pid {finished.pid}) has stopped" in report
    assert "svc/mlops-monitoring-prometheus" not in report, "that forward still runs"


def test_status_says_when_the_model_url_does_not_answer(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_RUN_DIR", str(tmp_path))
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    report = status.status_report({"model_url": "http://127.0.0.1:9"})
    assert "no answer from http://127.0.0.1:9" in report
    # BentoML's Swagger UI is at / (its /docs answers 404).
    assert "API docs    http://127.0.0.1:9/   (OpenAPI: http://127.0.0.1:9/docs.json)" in report


@pytest.mark.skipif(
    not ((TOOLS_BIN / "kubectl").exists() or shutil.which("kubectl")), reason="no kubectl"
)
def test_a_port_forward_that_cannot_start_names_its_target(tmp_path) -> None:
    with pytest.raises(RuntimeError, match="svc/nowhere did not forward"):
        start_port_forward(
            tmp_path / "missing-kubeconfig", "mlops", "svc/nowhere", 80, log=tmp_path / "log"
        )


def test_only_a_complete_recorded_bento_is_used(tmp_path, monkeypatch) -> None:
    record = tmp_path / "bento-path"
    monkeypatch.setattr(paths, "BENTO_PATH_FILE", record)
    assert recorded_bento() is None
    bento = tmp_path / "bento"
    bento.mkdir()
    record.write_text(f"{bento}\n")
    assert recorded_bento() is None, "a folder without bento.yaml is no Bento"
    (bento / "bento.yaml").write_text("service: x\n")
    assert recorded_bento() == bento


def test_local_volumes_are_folders_on_the_node_in_the_overlays_class(tmp_path) -> None:
    assert yaml.safe_load(OVERLAY.read_text())["global"]["storageClass"] == STORAGE_CLASS
    [storage_class, *volumes] = local_volumes("realnode-0", tmp_path, 3)
    assert storage_class["metadata"]["name"] == STORAGE_CLASS
    assert [v["spec"]["storageClassName"] for v in volumes] == [STORAGE_CLASS] * 3
    paths = [v["spec"]["local"]["path"] for v in volumes]
    assert all(
        (tmp_path / f"pv-{i}").is_dir() and str(tmp_path / f"pv-{i}") == paths[i] for i in range(3)
    )
    terms = volumes[0]["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert terms[0]["matchExpressions"][0]["values"] == ["realnode-0"]
