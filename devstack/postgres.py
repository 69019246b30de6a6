"""A real PostgreSQL server on a loopback port, in a directory of its own.

Used by the component tier (MLflow's backend store, the chart's bootstrap SQL)
and by `make up`. Authentication is scram-sha-256 over TCP, as in the cluster.
"""

import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.paths import tool
from devstack.processes import as_user, free_port, run

# PostgreSQL refuses to run as root; under root the server runs as this user.
SERVER_USER = "postgres"


@dataclass
class LocalPostgres:
    root: Path
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def user(self) -> str | None:
        return SERVER_USER if os.geteuid() == 0 else None

    def env(self) -> dict[str, str]:
        """libpq environment for the superuser over TCP."""
        return {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": "postgres",
            "PGPASSWORD": self.password,
        }

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        return f"postgresql://{user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def _own(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> "LocalPostgres":
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        if not (self.data_dir / "PG_VERSION").exists():
            pwfile = self.root / "pwfile"
            pwfile.write_text(self.password)
            self._own(pwfile)
            run(
                as_user(
                    self.user,
                    [
                        str(tool("initdb")),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                    ],
                )
            )
            pwfile.unlink()
        if self.running():
            return self
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root}"
        )
        run(
            as_user(
                self.user,
                [
                    str(tool("pg_ctl")),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )
        )
        return self

    def running(self) -> bool:
        status = subprocess.run(
            as_user(self.user, [str(tool("pg_ctl")), "-D", str(self.data_dir), "status"]),
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    def stop(self) -> None:
        if self.running():
            run(
                as_user(
                    self.user,
                    [str(tool("pg_ctl")), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                )
            )

    def psql(self, sql: str, database: str = "postgres", **env: str) -> str:
        """Run SQL as the superuser; returns unaligned, tuples-only output."""
        argv = [
            shutil.which("psql") or "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-d",
            database,
            "-c",
            sql,
        ]
        return run(argv, env={**self.env(), **env}).stdout.strip()
