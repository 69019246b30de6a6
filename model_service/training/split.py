"""The held-out split, decided per comment by a hash of its normalized text.

A comment is held out or not whatever else is in the file, so a champion and a candidate
trained on different versions of the data never trained on each other's test rows.
"""

import hashlib

from model_service.training.data import Comment, normalize


def is_held_out(text: str, percent: int) -> bool:
    digest = hashlib.sha256(normalize(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def split(comments: list[Comment], percent: int) -> tuple[list[Comment], list[Comment]]:
    """(train, held_out)"""
    train, held_out = [], []
    for comment in comments:
        (held_out if is_held_out(comment.text, percent) else train).append(comment)
    return train, held_out
