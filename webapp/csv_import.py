"""Importing a CSV of labelled comments into training's table: checked by the rules of
`python -m model_service validate` (the same code), plus duplicates of rows already in
the table. Any problem imports nothing, and every problem is listed."""

from dataclasses import dataclass, field
from pathlib import Path

from psycopg_pool import ConnectionPool

from model_service.training.data import BadRow, normalize, parse_comments
from model_service.training.dataset_table import FILL_LOCK, TABLE
from webapp.comments import existing_texts

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class ImportResult:
    filename: str
    imported: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def import_csv(pool: ConnectionPool, filename: str, raw: bytes, max_chars: int) -> ImportResult:
    result = ImportResult(filename)
    if len(raw) > MAX_UPLOAD_BYTES:
        result.problems.append(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; split it"
        )
        return result
    report = parse_comments(raw, Path(filename), max_chars)
    result.warnings = report.warnings
    result.problems = report.errors + [str(bad) for bad in report.bad_rows]
    if report.errors:
        return result
    if not report.comments and not report.bad_rows:
        result.problems.append("the file has a header but no rows")
        return result
    with pool.connection() as conn, conn.transaction():
        # The table's fill lock: two imports of the same rows cannot both pass the
        # duplicate check. The rows arrive in one transaction, so training sees all or none.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (FILL_LOCK,))
        present = existing_texts(conn)
        for comment in report.comments:
            same = present.get(normalize(comment.text))
            if same:
                result.problems.append(
                    str(BadRow(comment.line, f"already in the table as comment {same[0]}"))
                )
        if result.problems:
            result.problems.sort(key=_line_number)
            return result
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (text, label, category) VALUES (%s, %s, %s)",
                [(c.text, c.label, c.category) for c in report.comments],
            )
        result.imported = len(report.comments)
    return result


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") else 0
