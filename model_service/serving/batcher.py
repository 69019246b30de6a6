"""Greedy batching: while the model works on one batch, the requests that arrive queue up,
and the next batch is all of them (up to a size limit). Nothing waits for a batch to fill.

A lone request runs at once, so light load keeps single-request latency; under heavy load
batches grow by themselves, up to what arrives during one model call. BentoML's adaptive
batcher instead holds requests while they have waited less than its running average wait;
under saturation that average grows with the queue, so it idled the model and held lone
requests long after a burst (measured: docs/benchmarks.md).
"""

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor


class Overloaded(RuntimeError):
    """A request waited in the queue longer than the latency budget and was not run."""


class Batcher:
    """Merge concurrent calls into one call of `predict` (texts in, one result per text).
    A request still queued after `max_wait_s` is shed with Overloaded: under overload the
    queue would otherwise only grow, and every answer come too late."""

    def __init__(
        self, predict: Callable[[list[str]], Sequence], max_batch_size: int, max_wait_s: float
    ) -> None:
        self._predict = predict
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        # (texts, future, enqueued at) in arrival order.
        self._queue: deque[tuple[list[str], asyncio.Future, float]] = deque()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        # One model call at a time: the model's own threads already use the cores.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="predict")

    async def __call__(self, texts: list[str]) -> list:
        if self._worker is None:  # created on first use, inside the server's event loop
            self._wake = asyncio.Event()
            self._worker = asyncio.create_task(self._run(), name="batcher")
        future = asyncio.get_running_loop().create_future()
        self._queue.append((texts, future, time.monotonic()))
        self._wake.set()
        return await future

    def _next_batch(self) -> list[tuple[list[str], asyncio.Future]]:
        """Queued requests in arrival order, up to the size limit (always at least one)."""
        batch, size = [], 0
        too_old = time.monotonic() - self._max_wait_s
        while self._queue and (not batch or size + len(self._queue[0][0]) <= self._max_batch_size):
            texts, future, enqueued = self._queue.popleft()
            if future.done():  # the client went away
                continue
            if enqueued < too_old:
                future.set_exception(
                    Overloaded(f"waited over {self._max_wait_s:g}s in the queue; shed")
                )
                continue
            batch.append((texts, future))
            size += len(texts)
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while batch := self._next_batch():
                texts = [text for request, _ in batch for text in request]
                try:
                    results = await loop.run_in_executor(self._executor, self._predict, texts)
                except Exception as exc:  # every request of the batch gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                start = 0
                for request, future in batch:
                    if not future.done():
                        future.set_result(list(results[start : start + len(request)]))
                    start += len(request)
