"""The held-out split is a property of each comment's text, not of the file."""

from model_service.training.data import Comment
from model_service.training.split import is_held_out, split


def test_membership_ignores_case_and_whitespace_and_other_rows() -> None:
    texts = [f"comment {i}" for i in range(500)]
    assert [is_held_out(t, 20) for t in texts] == [is_held_out(t.upper() + "  ", 20) for t in texts]
    comments = [Comment(i, t, i % 2) for i, t in enumerate(texts)]
    _, held_out = split(comments, 20)
    _, held_out_of_half = split(comments[:250], 20)
    assert {c.text for c in held_out_of_half} == {c.text for c in held_out if c.line < 250}


def test_the_share_is_close_to_the_percentage() -> None:
    comments = [Comment(i, f"text {i}", i % 2) for i in range(2000)]
    train, held_out = split(comments, 20)
    assert len(train) + len(held_out) == 2000
    assert 0.17 < len(held_out) / 2000 < 0.23
