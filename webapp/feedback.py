"""Feedback from the try-it page ("This is wrong"): stored with the model's answer, then
accepted into the training data or dismissed in the workbench."""

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from model_service.training.dataset_table import FILL_LOCK
from webapp.comments import CommentError, add_or_relabel

STATUSES = ("open", "accepted", "dismissed")


@dataclass(frozen=True)
class Feedback:
    id: int
    text: str
    predicted_label: int
    score: float
    model_version: str
    corrected_label: int
    status: str
    created_at: object
    reviewed_by: str | None


_COLUMNS = (
    "id, text, predicted_label, score, model_version, corrected_label, status, created_at, "
    "reviewed_by"
)


def record(
    pool: ConnectionPool, text: str, predicted_label: int, score: float, model_version: str
) -> int:
    """Store that the model's label was wrong: the corrected label is the other one."""
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO feedback (text, predicted_label, score, model_version, corrected_label)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (text, predicted_label, score, model_version, 1 - predicted_label),
        ).fetchone()
    return row[0]


def listing(pool: ConnectionPool, status: str, query: str, limit: int) -> list[Feedback]:
    where, params = ["status = %s"], [status]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("text ILIKE %s")
        params.append(f"%{escaped}%")
    with pool.connection() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM feedback WHERE {' AND '.join(where)} "
            "ORDER BY id DESC LIMIT %s",
            [*params, limit],
        ).fetchall()
    return [Feedback(*row) for row in rows]


def open_count(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT count(*) FROM feedback WHERE status = 'open'").fetchone()[0]


def review(pool: ConnectionPool, feedback_id: int, accept: bool, reviewer: str) -> str:
    """Accept (the text joins the training data with the corrected label) or dismiss an
    open feedback; returns what happened, in words."""
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (FILL_LOCK,))
        row = conn.execute(
            "SELECT text, corrected_label, status FROM feedback WHERE id = %s FOR UPDATE",
            (feedback_id,),
        ).fetchone()
        if row is None:
            raise CommentError(f"no feedback with id {feedback_id}")
        text, label, status = row
        if status != "open":
            raise CommentError(f"feedback {feedback_id} was {status} already")
        outcome = "dismissed"
        if accept:
            outcome = add_or_relabel(conn, text, label) + f" with label {label}"
        conn.execute(
            "UPDATE feedback SET status = %s, reviewed_by = %s, reviewed_at = now() WHERE id = %s",
            ("accepted" if accept else "dismissed", reviewer, feedback_id),
        )
    return outcome
