"""Waiting, for a bounded time, for a server a verb needs. In the cluster the dataset's
PostgreSQL and MLflow start beside the first-champion Job: it waits for them instead of
failing its first attempt. Outside, the default (0 seconds) tries once."""

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
RETRY_SECONDS = 2
# How often the log says it still waits.
NOTE_SECONDS = 15


def until_it_answers(
    what: str, attempt: Callable[[], None], seconds: float, interval: float = RETRY_SECONDS
) -> None:
    """Call `attempt` until it returns; after `seconds` its last exception propagates."""
    deadline = time.monotonic() + seconds
    next_note = 0.0
    while True:
        try:
            attempt()
            return
        except Exception as exc:
            now = time.monotonic()
            if now >= deadline:
                raise
            if now >= next_note:
                reason = (
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                )
                log.info("waiting for %s (%.0fs left): %s", what, deadline - now, reason)
                next_note = now + NOTE_SECONDS
            time.sleep(interval)
