"""The inference-path scenarios: what each request sends, and its name in the results.

Kept free of Locust imports so the runner (which must not be gevent-patched)
can name the scenarios it expects to see in the results.
"""

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from loadtests.texts import TextPool

# Just under the service's input limit (TROLL_MAX_TEXT_CHARS, 1000): the costliest
# single text it must accept.
LONG_TEXT_CHARS = 900
SMALL_BATCH_SIZE = 8


@dataclass(frozen=True)
class Scenario:
    name: str  # the request name in Locust's stats, reports and thresholds
    texts: Callable[[TextPool, Random], list[str]]


SHORT = Scenario("short-text", lambda pool, rng: [pool.short(rng)])
LONG = Scenario("long-text", lambda pool, rng: [pool.long(rng, LONG_TEXT_CHARS)])
BATCH = Scenario("batch-8", lambda pool, rng: pool.batch(rng, SMALL_BATCH_SIZE))

ALL = (SHORT, LONG, BATCH)
NAMES = tuple(scenario.name for scenario in ALL)

# The realistic mix: moderation traffic is mostly one new comment at a time,
# some clients batch a page of comments, and long posts are rare.
MIX_WEIGHTS = {SHORT.name: 16, BATCH.name: 3, LONG.name: 1}

# The Locust user classes in loadtests/locustfile.py (one per scenario, and the
# mix) and the scenarios each one sends.
USER_CLASSES = {
    "ShortTexts": (SHORT.name,),
    "LongTexts": (LONG.name,),
    "SmallBatches": (BATCH.name,),
    "RealisticMix": NAMES,
}


def sent_by(user_classes: tuple[str, ...]) -> tuple[str, ...]:
    """The scenarios a run of these user classes exercises, in scenario order."""
    sent = {name for cls in user_classes for name in USER_CLASSES[cls]}
    return tuple(name for name in NAMES if name in sent)
