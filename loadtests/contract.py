"""The shape of a good `POST /classify` answer; a 200 with any other shape is a failure."""

import math
from typing import Any

# Wrappers the service may put around the list of predictions.
LIST_KEYS = ("results", "predictions")


def predictions(body: Any) -> list | None:
    """The list of per-text predictions in a response body, or None."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in LIST_KEYS:
            if isinstance(body.get(key), list):
                return body[key]
    return None


def shape_error(body: Any, sent: int) -> str | None:
    """Why `body` is not a valid answer to `sent` texts, or None when it is."""
    items = predictions(body)
    if items is None:
        wrappers = " or ".join(repr(key) for key in LIST_KEYS)
        return f"expected a list of predictions (or one under {wrappers}), got {_kind(body)}"
    if len(items) != sent:
        return f"expected {sent} predictions, got {len(items)}"
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return f"prediction {index}: expected an object, got {_kind(item)}"
        if item.get("label") is None or isinstance(item["label"], dict | list):
            return f"prediction {index}: 'label' missing or not a scalar"
        if not _is_score(item.get("score")):
            return f"prediction {index}: 'score' missing or not a finite number"
    return None


def _is_score(value: Any) -> bool:
    # bool is an int subclass, but True is not a score.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
