"""Progress lines for people: on stderr, so stdout stays free for results."""

import sys


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)
