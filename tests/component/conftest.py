"""Component tier: real servers on loopback, started and stopped by fixtures."""

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.harness.postgres import LocalPostgres


@pytest.fixture(scope="session")
def postgres():
    # Not under pytest's tmp dir: that is private to root, and the server runs
    # as the postgres user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="mlops-postgres-"))
    root.chmod(0o755)
    server = LocalPostgres(root / "pg")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
