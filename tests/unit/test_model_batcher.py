"""The service's greedy batcher: merges what queued during a model call, never waits to
fill a batch, keeps each caller's results apart, and sheds requests that waited too long."""

import asyncio
import threading
import time

from model_service.serving.batcher import Batcher, Overloaded


class Recorder:
    """A stand-in for the model: upper-cases texts and records each call's batch."""

    def __init__(self, seconds: float = 0.0, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.seconds, self.fail_on = seconds, fail_on
        self.started = threading.Event()

    def __call__(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        self.started.set()
        time.sleep(self.seconds)
        if self.fail_on in texts:
            raise ValueError("model broke")
        return [text.upper() for text in texts]


async def _calls_while_busy(batcher: Batcher, model: Recorder, later: list[list[str]]):
    """One call that occupies the model, then `later` calls queued while it runs."""
    first = asyncio.ensure_future(batcher(["first"]))
    await asyncio.to_thread(model.started.wait)
    rest = [asyncio.ensure_future(batcher(texts)) for texts in later]
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_a_lone_request_runs_at_once():
    model = Recorder()
    start = time.monotonic()
    result = asyncio.run(Batcher(model, max_batch_size=64, max_wait_s=5)(["hi"]))
    assert result == ["HI"]
    assert model.calls == [["hi"]]
    assert time.monotonic() - start < 1


def test_requests_queued_during_a_call_share_the_next_call():
    model = Recorder(seconds=0.3)
    batcher = Batcher(model, max_batch_size=64, max_wait_s=5)
    results = asyncio.run(_calls_while_busy(batcher, model, [["a", "b"], ["c"], ["d"]]))
    assert results == [["FIRST"], ["A", "B"], ["C"], ["D"]]
    assert model.calls == [["first"], ["a", "b", "c", "d"]]


def test_a_batch_never_exceeds_the_size_limit_and_keeps_arrival_order():
    model = Recorder(seconds=0.3)
    batcher = Batcher(model, max_batch_size=3, max_wait_s=5)
    asyncio.run(_calls_while_busy(batcher, model, [["a", "b"], ["c", "d"], ["e"]]))
    assert model.calls == [["first"], ["a", "b"], ["c", "d", "e"]]


def test_a_model_error_reaches_every_request_of_its_batch_only():
    model = Recorder(seconds=0.3, fail_on="y")
    batcher = Batcher(model, max_batch_size=64, max_wait_s=5)
    first, *failed = asyncio.run(_calls_while_busy(batcher, model, [["x"], ["y"]]))
    assert first == ["FIRST"]
    assert [str(error) for error in failed] == ["model broke", "model broke"]
    assert model.calls == [["first"], ["x", "y"]]


def test_requests_that_waited_past_the_budget_are_shed():
    model = Recorder(seconds=0.4)
    batcher = Batcher(model, max_batch_size=64, max_wait_s=0.1)
    first, late = asyncio.run(_calls_while_busy(batcher, model, [["late"]]))
    assert first == ["FIRST"]
    assert isinstance(late, Overloaded)
    assert "waited over 0.1s in the queue" in str(late)
    assert model.calls == [["first"]]


def test_a_caller_that_went_away_is_not_predicted():
    model = Recorder(seconds=0.3)
    batcher = Batcher(model, max_batch_size=64, max_wait_s=5)

    async def scenario():
        first = asyncio.ensure_future(batcher(["first"]))
        await asyncio.to_thread(model.started.wait)
        gone = asyncio.ensure_future(batcher(["gone"]))
        kept = asyncio.ensure_future(batcher(["kept"]))
        await asyncio.sleep(0)
        gone.cancel()
        return await asyncio.gather(first, kept)

    assert asyncio.run(scenario()) == [["FIRST"], ["KEPT"]]
    assert model.calls == [["first"], ["kept"]]
