"""The web app's PostgreSQL: a connection pool and the tables the app owns. The labelled
comments table belongs to the model service's training (model_service/training/
dataset_table.py): the app creates and fills it the same way, never a second definition."""

import logging

from psycopg_pool import ConnectionPool, PoolTimeout

from model_service.settings import DEFAULT_DATA
from model_service.training import dataset_table

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS webapp_users (
    id bigserial PRIMARY KEY,
    username text NOT NULL UNIQUE,
    role text NOT NULL CHECK (role IN ('admin', 'labeller')),
    password_hash text NOT NULL,
    -- Raised on a password change, role change or "log out everywhere": sessions carry
    -- the version they were made with, and an older one is no longer accepted.
    session_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS feedback (
    id bigserial PRIMARY KEY,
    text text NOT NULL,
    predicted_label smallint NOT NULL CHECK (predicted_label IN (0, 1)),
    score double precision NOT NULL,
    model_version text NOT NULL DEFAULT '',
    corrected_label smallint NOT NULL CHECK (corrected_label IN (0, 1)),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'dismissed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    reviewed_by text,
    reviewed_at timestamptz
);
CREATE TABLE IF NOT EXISTS login_failures (
    username text NOT NULL,
    client text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS login_failures_recent ON login_failures (username, client, failed_at);
CREATE TABLE IF NOT EXISTS training_requests (
    id text PRIMARY KEY,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    launcher text NOT NULL,
    job text NOT NULL DEFAULT '',
    error text NOT NULL DEFAULT ''
);
"""
CONNECT_TIMEOUT_SECONDS = 10
# Two replicas starting at once create the tables once.
SCHEMA_LOCK = 0x7201_2027


def open_pool(url: str, max_size: int, wait_seconds: int) -> ConnectionPool:
    """A pool with its first connection made: tried again for up to `wait_seconds`, then
    the app stops with the reason (a wrong URL or password does not wait long to show)."""
    # A connection attempt gives up after 10 s and is tried again: a Service not yet
    # routed swallows the first packets, and an attempt without a timeout waits minutes.
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        name="webapp",
        kwargs={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    log.info("connecting to the database (waiting up to %d s)", wait_seconds)
    try:
        pool.open(wait=True, timeout=wait_seconds)
    except PoolTimeout:
        pool.close()
        raise
    return pool


def prepare(pool: ConnectionPool, max_text_chars: int) -> None:
    """Create the app's tables, and the labelled comments table filled from the bundled
    CSV when it is new (as training's first run would)."""
    with pool.connection() as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute(SCHEMA)
        filled = dataset_table.ensure_table(conn, DEFAULT_DATA, max_text_chars)
    if filled:
        log.info("filled %s from %s", dataset_table.TABLE, filled.name)
