"""The inference-path scenarios: what each request sends, and its name in the results.

Kept free of Locust imports so the runner (which must not be gevent-patched)
can name the scenarios it expects to see in the results.
"""

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from loadtests.texts import TextPool

# Just under the service's input limit: the costliest single text it must accept.
LONG_TEXT_CHARS = 1500
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

# The Locust user classes in loadtests/locustfile.py: one per scenario, and the mix.
USER_CLASSES = ("ShortTexts", "LongTexts", "SmallBatches", "RealisticMix")
