"""The `local` provider's failure handling, with a control-plane binary that crashes."""

import os
import time

import pytest

from devstack.cluster import ClusterError
from devstack.cluster import local as cluster_local
from devstack.cluster.local import LocalCluster
from devstack.processes import stop_processes_under

pytestmark = pytest.mark.skipif(
    bool(LocalCluster.unavailable_reason()), reason=f"{LocalCluster.unavailable_reason()}"
)

CRASHING_APISERVER = """#!/bin/sh
case "$*" in
  *--version*) echo "Kubernetes v1.37.2" ;;
  *) echo "E0000 simulated crash: unknown flag --bogus" >&2; exit 1 ;;
esac
"""


def test_a_crashing_component_fails_fast_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "bin" / "kube-apiserver"
    fake.parent.mkdir()
    fake.write_text(CRASHING_APISERVER)
    fake.chmod(0o755)
    real = cluster_local.binary
    monkeypatch.setattr(
        cluster_local, "binary", lambda name: fake if name == "kube-apiserver" else real(name)
    )
    broken = LocalCluster("crash", state=tmp_path / "state" / "crash")
    start = time.monotonic()
    with pytest.raises(ClusterError) as failure:
        broken.create()
    message = str(failure.value)
    assert time.monotonic() - start < 60, "kwokctl alone would wait minutes for the dead server"
    assert "kube-apiserver exited" in message
    assert "simulated crash: unknown flag --bogus" in message, "the component's log is shown"
    assert not broken.state.exists()
    assert (tmp_path / "state" / "crash-failed-logs" / "kube-apiserver.log").exists()
    assert stop_processes_under(broken.state) == 0, "processes were left running"
    assert os.listdir(tmp_path / "state") == ["crash-failed-logs"]
