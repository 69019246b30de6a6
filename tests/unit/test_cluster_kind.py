"""The kind provider's calls, against stand-in `docker` and `kind` programs (no Docker
engine here; the real thing runs in users' CI, see ci/)."""

import sys
import textwrap

import pytest

from devstack.cluster import ClusterError, make_cluster

FAKE_KIND = textwrap.dedent(
    """\
    #!{python}
    import pathlib, sys
    log = pathlib.Path({log!r})
    clusters = pathlib.Path({clusters!r})
    args = sys.argv[1:]
    with log.open("a") as f:
        f.write(" ".join(args) + "\\n")
    names = clusters.read_text().split() if clusters.exists() else []
    opts = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
    if args[:2] == ["get", "clusters"]:
        print("\\n".join(names))
    elif args[:2] == ["create", "cluster"]:
        clusters.write_text("\\n".join(names + [opts["name"]]))
        pathlib.Path(opts["kubeconfig"]).write_text({kubeconfig!r})
    elif args[:2] == ["delete", "cluster"]:
        clusters.write_text("\\n".join(n for n in names if n != opts["name"]))
    """
)


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: kind-ci, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: kind-ci, user: {token: fake}}]
contexts: [{name: kind-ci, context: {cluster: kind-ci, user: kind-ci}}]
current-context: kind-ci
"""


@pytest.fixture
def fake_kind(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, clusters = tmp_path / "kind.log", tmp_path / "clusters"
    kind = bin_dir / "kind"
    kind.write_text(
        FAKE_KIND.format(
            python=sys.executable, log=str(log), clusters=str(clusters), kubeconfig=KUBECONFIG
        )
    )
    docker = bin_dir / "docker"
    docker.write_text("#!/bin/sh\necho 27.0.0\n")  # `docker info` answers: an engine runs
    for program in (kind, docker):
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("MLOPS_CLUSTER_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("MLOPS_CLUSTER_PROVIDER", raising=False)
    monkeypatch.chdir(tmp_path)  # pytest-kind makes ./.pytest-kind/<name>
    return log


def test_auto_picks_kind_and_drives_it_through_pytest_kind(fake_kind) -> None:
    cluster = make_cluster(name="ci")
    assert cluster.provider == "kind"
    cluster.create()
    assert cluster.is_up()
    assert cluster.kubeconfig.read_text().startswith("apiVersion: v1")
    cluster.load_image("troll-classifier:test")
    cluster.delete()
    assert not cluster.is_up()
    calls = fake_kind.read_text().splitlines()
    assert f"create cluster --name=ci --kubeconfig={cluster.kubeconfig}" in calls
    assert "load docker-image --name ci troll-classifier:test" in calls
    assert f"delete cluster --name=ci --kubeconfig={cluster.kubeconfig}" in calls


def test_kind_without_an_engine_says_so(fake_kind, tmp_path) -> None:
    (tmp_path / "bin" / "docker").write_text("#!/bin/sh\necho 'Cannot connect' >&2\nexit 1\n")
    cluster = make_cluster("kind", name="ci")
    with pytest.raises(ClusterError, match="needs a Docker engine"):
        cluster.create()
    assert make_cluster(name="ci").provider == "local"
