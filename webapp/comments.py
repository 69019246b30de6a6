"""The labelled comments (training's table): search and filter, relabel, delete, add,
export, and the dataset's statistics."""

import csv
import io
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from model_service.training.data import CATEGORIES, LABELS, normalize
from model_service.training.dataset_table import TABLE

LABEL_NAMES = {0: "not trolling", 1: "trolling"}


class CommentError(ValueError):
    """A change that cannot be made; the message says why."""


@dataclass(frozen=True)
class Comment:
    id: int
    text: str
    label: int
    category: str
    added_at: object  # datetime


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    total: int  # rows matching the filter
    offset: int
    size: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.size if self.offset + self.size < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.size, 0) if self.offset > 0 else None


def parse_label(raw: str | None, what: str = "label") -> int | None:
    """'' or None: no label given; '0' or '1': that label; anything else is an error."""
    if raw in (None, ""):
        return None
    if raw.strip() in ("0", "1"):
        return int(raw)
    raise CommentError(f"{what} must be 0 or 1, got {raw[:20]!r}")


def search(
    pool: ConnectionPool,
    *,
    query: str,
    label: int | None,
    category: str,
    offset: int,
    size: int,
) -> Page:
    where, params = ["TRUE"], []
    if query:
        # The query is matched literally: LIKE's own wildcards in it are escaped.
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("text ILIKE %s")
        params.append(f"%{escaped}%")
    if label is not None:
        where.append("label = %s")
        params.append(label)
    if category:
        where.append("category = %s")
        params.append(category)
    condition = " AND ".join(where)
    with pool.connection() as conn:
        total = conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {condition}", params).fetchone()
        rows = conn.execute(
            f"SELECT id, text, label, category, added_at FROM {TABLE} WHERE {condition} "
            "ORDER BY id DESC LIMIT %s OFFSET %s",
            [*params, size, max(offset, 0)],
        ).fetchall()
    return Page([Comment(*row) for row in rows], total[0], max(offset, 0), size)


def categories(pool: ConnectionPool) -> list[str]:
    """Every category in use, and the documented ones, for the filter and the forms."""
    known = set().union(*CATEGORIES.values())
    with pool.connection() as conn:
        used = conn.execute(f"SELECT DISTINCT category FROM {TABLE} WHERE category <> ''")
        known |= {row[0] for row in used.fetchall()}
    return sorted(known)


def relabel(pool: ConnectionPool, comment_id: int, label: int, category: str) -> None:
    if label not in LABELS:
        raise CommentError(f"label must be 0 or 1, got {label}")
    with pool.connection() as conn:
        changed = conn.execute(
            f"UPDATE {TABLE} SET label = %s, category = %s WHERE id = %s",
            (label, category, comment_id),
        ).rowcount
    if not changed:
        raise CommentError(f"no comment with id {comment_id} (deleted meanwhile?)")


def delete(pool: ConnectionPool, comment_id: int) -> None:
    with pool.connection() as conn:
        if not conn.execute(f"DELETE FROM {TABLE} WHERE id = %s", (comment_id,)).rowcount:
            raise CommentError(f"no comment with id {comment_id} (deleted meanwhile?)")


def existing_texts(conn) -> dict[str, tuple[int, int]]:
    """Normalised text -> (id, label) of every row, for duplicate checks as training's."""
    rows = conn.execute(f"SELECT id, text, label FROM {TABLE}").fetchall()
    return {normalize(text): (row_id, label) for row_id, text, label in rows}


def add_or_relabel(conn, text: str, label: int) -> str:
    """Add a row (no category), or relabel the row holding the same text as training
    would see it (its category stays): 'added' or 'relabelled'. Runs in the caller's
    transaction."""
    same = existing_texts(conn).get(normalize(text))
    if same:
        conn.execute(f"UPDATE {TABLE} SET label = %s WHERE id = %s", (label, same[0]))
        return "relabelled"
    conn.execute(f"INSERT INTO {TABLE} (text, label) VALUES (%s, %s)", (text, label))
    return "added"


def export_csv(pool: ConnectionPool) -> str:
    """Every row as training reads it: text,label,category, in the order added."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label", "category"])
    with pool.connection() as conn:
        rows = conn.execute(f"SELECT text, label, category FROM {TABLE} ORDER BY id")
        writer.writerows(rows.fetchall())
    return out.getvalue()


@dataclass(frozen=True)
class Stats:
    total: int
    by_label: dict[int, int]
    by_category: list[tuple[str, int, int]]  # category, label, rows
    growth: list[tuple[str, int, int]]  # day, rows added that day, rows by the end of it


def stats(pool: ConnectionPool) -> Stats:
    with pool.connection() as conn:
        by_label = dict(conn.execute(f"SELECT label, count(*) FROM {TABLE} GROUP BY label"))
        by_category = conn.execute(
            f"SELECT category, label, count(*) FROM {TABLE} GROUP BY category, label "
            "ORDER BY label, category"
        ).fetchall()
        growth = conn.execute(
            f"SELECT to_char(day, 'YYYY-MM-DD'), added, sum(added) OVER (ORDER BY day) "
            f"FROM (SELECT date_trunc('day', added_at) AS day, count(*) AS added "
            f"FROM {TABLE} GROUP BY 1) AS days ORDER BY day"
        ).fetchall()
    return Stats(
        total=sum(by_label.values()),
        by_label={label: by_label.get(label, 0) for label in LABELS},
        by_category=[(c or "(none)", label, n) for c, label, n in by_category],
        growth=[(day, added, int(total)) for day, added, total in growth],
    )
