"""HTTP load for the benchmark: closed loop (find saturation) and open loop (latency at a rate).

One asyncio event loop with aiohttp: a client light enough to share the 2-core machine with
the server under test, and the same client for every server so that its cost is the same.
Open-loop latency is counted from each request's scheduled send time, so a server that
falls behind is charged for the queue it causes (no coordinated omission).
"""

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

# Requests in flight beyond this, in an open-loop run, are not sent and count as failures:
# the server is far past saturation and the run would only measure the client's queue.
MAX_IN_FLIGHT = 512


@dataclass(frozen=True)
class Api:
    """How to ask one kind of server to classify texts: its path and request body."""

    path: str
    body: Callable[[list[str]], dict]
    # Number of predictions in a decoded response body; checked against the texts sent.
    count: Callable[[object], int]


@dataclass
class Sample:
    """One measured interval: latencies of successful requests and what failed."""

    seconds: float
    texts: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "texts_per_s": round(self.texts / self.seconds, 1),
            "requests_per_s": round(len(ordered) / self.seconds, 1),
            "p50_ms": _ms(ordered, 0.50),
            "p95_ms": _ms(ordered, 0.95),
            "p99_ms": _ms(ordered, 0.99),
            "failures": dict(self.failures),
        }


def _ms(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


class Texts:
    """The request texts, cycled in a fixed shuffled order (the same for every server)."""

    def __init__(self, texts: list[str], seed: int = 7) -> None:
        self._texts = list(texts)
        random.Random(seed).shuffle(self._texts)
        self._next = 0

    def take(self, count: int) -> list[str]:
        picked = [self._texts[(self._next + i) % len(self._texts)] for i in range(count)]
        self._next += count
        return picked


async def _post(session, url: str, api: Api, texts: list[str], *, into: Sample, started: float):
    try:
        async with session.post(url + api.path, json=api.body(texts)) as response:
            if response.status != 200:  # error bodies need not be JSON
                into.fail(f"HTTP {response.status}")
                return
            payload = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        into.fail(type(exc).__name__)
        return
    if api.count(payload) != len(texts):
        into.fail("wrong number of predictions")
        return
    into.latencies.append(time.perf_counter() - started)
    into.texts += len(texts)


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=120),
    )


async def _closed(url, api, texts, *, batch, concurrency, warmup, seconds) -> Sample:
    async with _session(concurrency) as session:
        sample = Sample(seconds)
        discard = Sample(warmup)
        measuring_from = time.perf_counter() + warmup
        stop_at = measuring_from + seconds

        async def client():
            while (now := time.perf_counter()) < stop_at:
                into = sample if now >= measuring_from else discard
                await _post(session, url, api, texts.take(batch), into=into, started=now)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        return sample


async def _open(url, api, texts, *, batch, rate, warmup, seconds, seed) -> Sample:
    async with _session(MAX_IN_FLIGHT) as session:
        sample = Sample(seconds)
        discard = Sample(warmup)
        rng = random.Random(seed)
        start = time.perf_counter()
        measuring_from, stop_at = start + warmup, start + warmup + seconds
        pending: set[asyncio.Task] = set()
        due = start
        while due < stop_at:
            # Poisson arrivals: real clients do not line up at even intervals.
            due += rng.expovariate(rate)
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            into = sample if due >= measuring_from else discard
            if len(pending) >= MAX_IN_FLIGHT:
                into.fail("client queue full")
                continue
            task = asyncio.create_task(
                _post(session, url, api, texts.take(batch), into=into, started=due)
            )
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        return sample


def closed_loop(url, api, texts, *, batch, concurrency, warmup, seconds) -> dict:
    """`concurrency` clients each sending as fast as answers come back."""
    return asyncio.run(
        _closed(
            url, api, texts, batch=batch, concurrency=concurrency, warmup=warmup, seconds=seconds
        )
    ).summary()


def open_loop(url, api, texts, *, batch, rate, warmup, seconds, seed=11) -> dict:
    """Requests arriving at `rate` per second regardless of how fast answers come back."""
    return asyncio.run(
        _open(url, api, texts, batch=batch, rate=rate, warmup=warmup, seconds=seconds, seed=seed)
    ).summary()
