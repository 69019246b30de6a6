"""Reading and checking a labelled comments CSV (columns text,label[,category]).

Every bad row is reported with the line it starts on. The caller decides whether bad rows
reject the file (the default) or are dropped, and either way they are listed.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_COLUMNS = ("text", "label")
LABELS = (0, 1)
# Fewer rows of a label than this cannot train or evaluate it.
MIN_ROWS_PER_LABEL = 10
CATEGORIES = {
    1: {"insult", "baiting", "sarcastic_putdown", "whataboutism", "bad_faith_contrarian"},
    0: {"chat", "question", "praise", "polite_disagreement", "fair_criticism"},
}


class DataError(ValueError):
    """The dataset cannot be used; the message lists every reason."""


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    label: int
    category: str = ""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Report:
    path: Path
    comments: list[Comment] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    # Problems with the file as a whole (unreadable, missing columns, imbalance).
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def label_counts(self) -> dict[int, int]:
        counts = Counter(c.label for c in self.comments)
        return {label: counts.get(label, 0) for label in LABELS}


def normalize(text: str) -> str:
    """The identity of a comment: case and whitespace do not make a new one."""
    return " ".join(text.casefold().split())


def read_comments(path: Path, max_chars: int) -> Report:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        report = Report(Path(path))
        report.errors.append(f"cannot read {path}: {exc.strerror}")
        return report
    return parse_comments(raw, Path(path), max_chars)


def parse_comments(raw: bytes, path: Path, max_chars: int) -> Report:
    """Check a CSV's bytes (an uploaded file's, say); `path` names it in the report."""
    report = Report(Path(path))
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.errors.append(f"line {line}: not valid UTF-8 ({exc.reason})")
        return report
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        _read_rows(reader, report, max_chars)
    except csv.Error as exc:
        report.errors.append(f"line {reader.line_num}: unreadable CSV ({exc})")
    return report


def _read_rows(reader, report: Report, max_chars: int) -> None:
    header = next(reader, None)
    if header is None:
        report.errors.append("the file is empty: expected a header line text,label[,category]")
        return
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        report.errors.append(
            f"line 1: missing column(s) {', '.join(missing)}; the header is {','.join(header)!r}"
        )
        return
    text_at, label_at = columns.index("text"), columns.index("label")
    category_at = columns.index("category") if "category" in columns else None
    first_seen: dict[str, Comment] = {}
    while True:
        start = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            break
        if not row:  # a blank line is not a record
            continue
        if len(row) != len(columns):
            report.bad_rows.append(
                BadRow(start, f"expected {len(columns)} fields, found {len(row)}")
            )
            continue
        text, label_text = row[text_at], row[label_at].strip()
        category = row[category_at].strip() if category_at is not None else ""
        reason = _row_problem(text, label_text, max_chars)
        if reason:
            report.bad_rows.append(BadRow(start, reason))
            continue
        comment = Comment(start, text, int(label_text), category)
        earlier = first_seen.get(normalize(text))
        if earlier:
            conflict = (
                f" with a different label ({earlier.label} there, {comment.label} here)"
                if earlier.label != comment.label
                else ""
            )
            report.bad_rows.append(BadRow(start, f"duplicate of line {earlier.line}{conflict}"))
            continue
        first_seen[normalize(text)] = comment
        if category and category not in CATEGORIES[comment.label]:
            report.warnings.append(
                f"line {start}: category {category!r} is not one of the label-{comment.label} "
                f"categories ({', '.join(sorted(CATEGORIES[comment.label]))})"
            )
        report.comments.append(comment)


def _row_problem(text: str, label: str, max_chars: int) -> str | None:
    if not text.strip():
        return "text is empty or only whitespace"
    if len(text) > max_chars:
        return f"text is {len(text)} characters long; the limit is {max_chars}"
    if label not in ("0", "1"):
        return f"label must be 0 or 1, found {label!r}"
    return None


def balance_errors(report: Report, min_share: float, min_per_label: int) -> list[str]:
    """Dataset-level checks on the rows that would be used."""
    counts = report.label_counts()
    total = sum(counts.values())
    if total == 0:
        return ["no usable rows"]
    problems = []
    for label, count in counts.items():
        if count < min_per_label:
            problems.append(
                f"label {label} has {count} rows; training needs at least {min_per_label}"
            )
        elif count / total < min_share:
            problems.append(
                f"label {label} is {count / total:.0%} of the rows, below the minimum share "
                f"{min_share:.0%} (TROLL_MIN_LABEL_SHARE); rebalance the data"
            )
    return problems


def load_comments(
    path: Path,
    max_chars: int,
    min_share: float,
    min_per_label: int,
    drop_bad: bool,
    *,
    source: str | None = None,
) -> Report:
    """Read and check a dataset; raise DataError unless it can be used as it is
    (or, with drop_bad, once its bad rows are dropped). `source` names the rows in
    messages when the file stands for something else (a table's snapshot)."""
    report = read_comments(path, max_chars)
    source = source or str(report.path)
    if report.errors:
        raise DataError(_describe(source, report.errors))
    if report.bad_rows and not drop_bad:
        raise DataError(
            _describe(
                source,
                [str(row) for row in report.bad_rows],
                hint="fix these rows, or pass --drop-bad to drop them (each is listed)",
            )
        )
    imbalance = balance_errors(report, min_share, min_per_label)
    if imbalance:
        raise DataError(_describe(source, imbalance))
    return report


def _describe(source: str, problems: list[str], hint: str = "") -> str:
    lines = [f"{source}: {len(problems)} problem(s)", *(f"  {p}" for p in problems)]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def write_comments(comments: list[Comment], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label", "category"])
        for c in comments:
            writer.writerow([c.text, c.label, c.category])
