"""The labelled comments table in PostgreSQL: where new labelled rows arrive (the data
workbench) and what continuous training reads. On first use it is filled from the bundled
CSV. Training reads a snapshot of it, written as a CSV in the same columns, so every check,
message and digest of a CSV dataset applies to it unchanged, line numbers included."""

import csv
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from model_service.training.data import read_comments

TABLE = "labelled_comments"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    text text NOT NULL,
    label smallint NOT NULL CHECK (label IN (0, 1)),
    category text NOT NULL DEFAULT '',
    added_at timestamptz NOT NULL DEFAULT now()
)
"""
# Transaction-level advisory lock: two first runs at once fill the table once.
FILL_LOCK = 0x7201_2026


class DatasetTableError(RuntimeError):
    """The table cannot be reached or filled; the message names the server, never the password."""


@dataclass(frozen=True)
class Snapshot:
    path: Path  # the rows as a CSV: text,label,category, in the order they were added
    rows: int
    filled_from: Path | None  # the CSV the table was filled from on this run, if it was


def describe(url: str) -> str:
    """The table's location without credentials, for logs and MLflow tags."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path} table {TABLE}"


def check_connection(url: str) -> None:
    """Raise DatasetTableError unless the server takes a connection (within 5 s)."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        raise DatasetTableError(f"{describe(url)}: {exc}".strip()) from None


def snapshot(url: str, seed_csv: Path, dest: Path, max_chars: int) -> Snapshot:
    """Create the table if missing, fill it from `seed_csv` if empty, and write its rows
    to `dest` (a CSV file)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            filled_from = ensure_table(conn, seed_csv, max_chars)
            rows = conn.execute(f"SELECT text, label, category FROM {TABLE} ORDER BY id").fetchall()
    except psycopg.Error as exc:
        raise DatasetTableError(f"{describe(url)}: {exc}".strip()) from None
    with dest.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label", "category"])
        writer.writerows(rows)
    return Snapshot(dest, len(rows), filled_from)


def ensure_table(conn, seed_csv: Path, max_chars: int) -> Path | None:
    """Create the table if missing and fill it from `seed_csv` if empty, in one
    transaction of `conn` (a psycopg connection); return the seed when it filled it."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (FILL_LOCK,))
        conn.execute(SCHEMA)
        empty = conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {TABLE})").fetchone()[0]
        return _fill(conn, seed_csv, max_chars) if empty else None


def _fill(conn, seed_csv: Path, max_chars: int) -> Path:
    """Insert the seed's usable rows; a seed with any problem fills nothing."""
    report = read_comments(seed_csv, max_chars)
    problems = report.errors + [str(bad) for bad in report.bad_rows]
    if problems:
        raise DatasetTableError(f"cannot fill {TABLE} from {seed_csv}: " + "; ".join(problems))
    with conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TABLE} (text, label, category) VALUES (%s, %s, %s)",
            [(c.text, c.label, c.category) for c in report.comments],
        )
    return seed_csv
