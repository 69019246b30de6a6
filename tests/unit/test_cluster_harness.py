"""The cluster providers' own logic (devstack/cluster/): provider choice, kwok config,
leftover cleanup."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import devstack.cluster as cluster_mod
from devstack.cluster import ClusterError, choose_provider, make_cluster
from devstack.cluster.base import remove_state
from devstack.cluster.kwokctl import dead_component, readable
from devstack.cluster.local import LocalCluster, node_manifest
from devstack.processes import stop_processes_under


def test_explicit_provider_wins_over_environment(monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_CLUSTER_PROVIDER", "existing")
    assert choose_provider("local") == "local"
    assert choose_provider() == "existing"


def test_unknown_provider_is_named_in_the_error(monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_CLUSTER_PROVIDER", "minikube")
    with pytest.raises(ClusterError, match="'minikube'.*MLOPS_CLUSTER_PROVIDER.*local, kind"):
        choose_provider()


def test_auto_is_local_without_a_docker_engine(monkeypatch) -> None:
    monkeypatch.delenv("MLOPS_CLUSTER_PROVIDER", raising=False)
    monkeypatch.setattr(cluster_mod, "docker_engine_answers", lambda: False)
    monkeypatch.setattr(cluster_mod.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert choose_provider() == "local"
    monkeypatch.setattr(cluster_mod, "docker_engine_answers", lambda: True)
    assert choose_provider("auto") == "kind"


def test_local_clusters_keep_state_apart(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_CLUSTER_DIR", str(tmp_path))
    one, two = make_cluster("local", "one"), make_cluster("local", "two")
    assert isinstance(one, LocalCluster)
    assert one.kubeconfig.parent == tmp_path / "one" != two.kubeconfig.parent


def test_removing_the_last_clusters_state_removes_the_checkouts_root(tmp_path, monkeypatch) -> None:
    root = tmp_path / "mlops-cluster"
    monkeypatch.setenv("MLOPS_CLUSTER_DIR", str(root))
    (root / "first" / "kubeconfig").parent.mkdir(parents=True)
    (root / "second").mkdir()
    remove_state(root / "first")
    assert sorted(p.name for p in root.iterdir()) == ["second"]
    remove_state(root / "second")
    assert not root.exists()


def test_kwok_config_keeps_the_defaults_and_adds_ours(tmp_path) -> None:
    local = LocalCluster("cfg", state=tmp_path)  # stages linked by toolchain/setup.sh
    docs = list(yaml.safe_load_all(local._write_config().read_text()))
    [options] = [d for d in docs if d["kind"] == "KwokctlConfiguration"]
    assert options["options"]["bindAddress"] == "127.0.0.1", "etcd must not listen publicly"
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "Stage"}
    assert len(names) == len(docs) - 1
    assert {
        "node-initialize",
        "node-heartbeat-with-lease",
        "pod-ready",
        "pod-complete",
        "pod-delete",
        "pvc-provision",
        "pv-bind",
        "pod-helm-test-complete",
    } <= names


def test_fake_nodes_carry_their_architecture() -> None:
    node = node_manifest(2, "kwok-arm64-0", "arm64")
    assert node["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"
    assert node["status"]["nodeInfo"]["architecture"] == "arm64"
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"


def test_leftover_processes_under_the_state_dir_are_stopped(tmp_path: Path) -> None:
    # kwokctl runs each component from a link in the cluster's dir: do the same.
    (tmp_path / "bin").mkdir()
    sleep = tmp_path / "bin" / "sleep"
    shutil.copy(shutil.which("sleep"), sleep)
    leftover = subprocess.Popen([str(sleep), "300"])
    bystander = subprocess.Popen([shutil.which("sleep"), "300"])
    try:
        assert stop_processes_under(tmp_path, grace=5) == 1
        assert leftover.wait(timeout=5) != 0
        assert bystander.poll() is None, "a process outside the state dir was touched"
    finally:
        for proc in (leftover, bystander):
            proc.kill()
            proc.wait()


def test_kwokctl_json_logs_become_one_readable_line() -> None:
    line = (
        '{"time":"t","level":"INFO","msg":"Cluster is ready","cluster":"x",'
        '"elapsed":{"nanosecond":1,"human":"1.5s"}}'
    )
    assert readable(line) == "Cluster is ready (1.5s)"
    assert readable('{"msg":"Cluster is not served yet","err":"refused\\n"}') == (
        "Cluster is not served yet: refused"
    )
    assert readable("plain text\n") == "plain text"


def test_a_dead_component_is_found_by_its_pid_file(tmp_path: Path) -> None:
    running = subprocess.Popen([shutil.which("sleep"), "300"])
    gone = subprocess.Popen(["true"])
    gone.wait()
    try:
        (tmp_path / "etcd.pid").write_text(str(running.pid))
        assert dead_component(tmp_path) is None
        (tmp_path / "kube-apiserver.pid").write_text(str(gone.pid))
        assert dead_component(tmp_path) == "kube-apiserver"
    finally:
        running.kill()
        running.wait()
