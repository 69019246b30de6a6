"""Dataset checks: every bad row is reported with the line it starts on."""

from collections import Counter

import pytest

from model_service.settings import DEFAULT_DATA
from model_service.training import data
from model_service.training.slices import SHORT_MAX_CHARS


def write(tmp_path, text: str, name: str = "c.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_reported_with_their_starting_line(tmp_path) -> None:
    path = write(
        tmp_path,
        "text,label,category\n"
        "fine comment,0,chat\n"  # line 2
        '"a quoted\ncomment over two lines",1,insult\n'  # lines 3-4
        "   ,0,chat\n"  # line 5: blank text
        "another fine one,2,chat\n"  # line 6: bad label
        "FINE   comment,0,chat\n"  # line 7: duplicate of line 2
        "Fine comment,1,insult\n"  # line 8: duplicate with another label
        "too many,1,insult,extra\n" + "x" * 51 + ",1,insult\n",  # line 9  # line 10: too long
    )
    report = data.read_comments(path, max_chars=50)
    assert [str(b) for b in report.bad_rows] == [
        "line 5: text is empty or only whitespace",
        "line 6: label must be 0 or 1, found '2'",
        "line 7: duplicate of line 2",
        "line 8: duplicate of line 2 with a different label (0 there, 1 here)",
        "line 9: expected 3 fields, found 4",
        "line 10: text is 51 characters long; the limit is 50",
    ]
    assert [(c.line, c.label) for c in report.comments] == [(2, 0), (3, 1)]
    assert report.errors == []


def test_file_level_problems(tmp_path) -> None:
    assert data.read_comments(write(tmp_path, ""), 100).errors == [
        "the file is empty: expected a header line text,label[,category]"
    ]
    missing = data.read_comments(write(tmp_path, "comment,label\nhi,0\n"), 100).errors
    assert missing == ["line 1: missing column(s) text; the header is 'comment,label'"]
    (tmp_path / "latin1.csv").write_bytes(b"text,label\nok,0\ncaf\xe9,1\n")
    assert (
        data.read_comments(tmp_path / "latin1.csv", 100)
        .errors[0]
        .startswith("line 3: not valid UTF-8")
    )
    assert data.read_comments(tmp_path / "absent.csv", 100).errors[0].startswith("cannot read")


def test_category_is_optional_and_a_mismatch_only_warns(tmp_path) -> None:
    report = data.read_comments(write(tmp_path, "label,text\n1,hello there\n0,thanks\n"), 100)
    assert len(report.comments) == 2 and not report.warnings
    report = data.read_comments(write(tmp_path, "text,label,category\nnice,0,insult\n"), 100)
    assert report.warnings == [
        "line 2: category 'insult' is not one of the label-0 categories "
        "(chat, fair_criticism, polite_disagreement, praise, question)"
    ]


def test_load_rejects_bad_rows_by_default_and_drops_them_on_request(tmp_path) -> None:
    rows = "".join(f"comment number {i},{i % 2}\n" for i in range(40))
    path = write(tmp_path, "text,label\n" + rows + " ,1\n")
    with pytest.raises(data.DataError, match=r"(?s)line 42: text is empty.*--drop-bad"):
        data.load_comments(path, 100, 0.3, 10, drop_bad=False)
    report = data.load_comments(path, 100, 0.3, 10, drop_bad=True)
    assert len(report.comments) == 40
    assert [str(b) for b in report.bad_rows] == ["line 42: text is empty or only whitespace"]


def test_a_snapshot_is_named_by_what_it_stands_for(tmp_path) -> None:
    """A table's rows are checked in a CSV snapshot: messages name the table, not the file."""
    path = write(tmp_path, "text,label\nfine,0\n ,1\n")
    table = "postgresql://db/labels table labelled_comments"
    with pytest.raises(data.DataError) as refused:
        data.load_comments(path, 100, 0.3, 10, drop_bad=False, source=table)
    assert str(refused.value).startswith(f"{table}: 1 problem(s)")
    assert str(path) not in str(refused.value)


def test_imbalance_and_too_few_rows_are_errors(tmp_path) -> None:
    rows = "".join(f"troll {i},1\n" for i in range(30)) + "".join(f"ok {i},0\n" for i in range(5))
    report = data.read_comments(write(tmp_path, "text,label\n" + rows), 100)
    assert data.balance_errors(report, 0.3, 10) == [
        "label 0 has 5 rows; training needs at least 10"
    ]
    assert data.balance_errors(report, 0.3, 2) == [
        "label 0 is 14% of the rows, below the minimum share 30% (TROLL_MIN_LABEL_SHARE); "
        "rebalance the data"
    ]


def test_write_then_read_round_trips(tmp_path) -> None:
    comments = [data.Comment(2, 'he said "hi",\nthen left', 0, "chat"), data.Comment(3, "x", 1)]
    data.write_comments(comments, tmp_path / "out.csv")
    again = data.read_comments(tmp_path / "out.csv", 100).comments
    assert [(c.text, c.label, c.category) for c in again] == [
        (c.text, c.label, c.category) for c in comments
    ]


def test_the_bundled_dataset_is_valid_and_covers_the_hard_negatives() -> None:
    report = data.read_comments(DEFAULT_DATA, 1000)
    assert not report.errors and not report.bad_rows and not report.warnings
    counts = report.label_counts()
    assert sum(counts.values()) >= 800
    assert min(counts.values()) >= 0.4 * sum(counts.values()), counts
    neutral = [c for c in report.comments if c.label == 0]
    trolls = [c for c in report.comments if c.label == 1]
    categories = Counter(c.category for c in neutral)
    assert categories["polite_disagreement"] >= 0.2 * counts[0], categories
    assert categories["fair_criticism"] >= 0.15 * counts[0], categories
    # Short messages of both labels, so that length says nothing about the label.
    assert sum(is_short(c.text) for c in neutral) >= 0.15 * counts[0]
    assert sum(is_short(c.text) for c in trolls) >= 0.15 * counts[1]


def is_short(text: str) -> bool:
    return len(text) <= SHORT_MAX_CHARS


def test_the_dataset_card_counts_what_the_file_holds() -> None:
    """DATASET.md's table is the file's: on a mismatch, paste the expected table."""
    report = data.read_comments(DEFAULT_DATA, 1000)
    lines = [
        "| label | category | rows | of which short (at most 40 characters) |",
        "|---|---|---|---|",
    ]
    for label in (0, 1):
        for category in sorted(data.CATEGORIES[label]):
            rows = [c for c in report.comments if c.label == label and c.category == category]
            lines.append(
                f"| {label} | `{category}` | {len(rows)} | {sum(is_short(c.text) for c in rows)} |"
            )
    for label in (0, 1):
        rows = [c for c in report.comments if c.label == label]
        lines.append(f"| {label} | all | {len(rows)} | {sum(is_short(c.text) for c in rows)} |")
    expected = "\n".join(lines)
    card = (DEFAULT_DATA.parent / "DATASET.md").read_text(encoding="utf-8")
    assert expected in card, f"DATASET.md's counts are stale; expected:\n{expected}"
