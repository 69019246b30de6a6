"""The limit: the registered model's own predict throughput in one process, no HTTP.

    python -m benchmarks.inprocess MODEL_URI [--batch-sizes 1,8,32,64,128] [--seconds 8]

Prints one JSON object: texts/s per batch size with ONNX Runtime's thread spinning off
(as served) and on, the best of them, and the process's memory.
Same thread budget as the servers (model_service/serving/runtime.py), same texts as the load.
"""

import argparse
import functools
import json
import os
import sys
import time

import pandas as pd
import psutil

from benchmarks.load import Texts
from loadtests.texts import TextPool
from model_service.model.pyfunc import SPINNING_ENV
from model_service.serving import model_source, runtime
from model_service.settings import Settings


def measure(predict, texts: Texts, batch: int, seconds: float) -> float:
    """Texts per second over whole predict calls for at least `seconds` (and 3 calls)."""
    done, calls, start = 0, 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < seconds:
        predict(texts.take(batch))
        done += batch
        calls += 1
    return done / (time.perf_counter() - start)


def _predict(model, batch: list[str]) -> None:
    model.predict(pd.DataFrame({"text": batch}))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)  # stdout carries the JSON result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("model_uri")
    parser.add_argument("--batch-sizes", default="1,8,32,64,128")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.batch_sizes.split(",")]

    settings = Settings.from_env()
    # One process with the whole CPU budget (the servers split it among their workers).
    threads = runtime.threads_per_worker(1, settings.encoder_threads)
    runtime.limit_threads(threads)  # before the model's encoder starts its thread pools
    texts = Texts(list(TextPool.load().comments))
    by_spinning = {}
    # Idle-thread spinning is ONNX Runtime's default and the service turns it off: both are
    # measured and the limit is the better, so that it flatters no one.
    for spinning in ("off", "on"):
        os.environ[SPINNING_ENV] = "1" if spinning == "on" else "0"
        predict = functools.partial(_predict, model_source.load(args.model_uri).model)
        predict(texts.take(32))  # warm-up: first calls allocate and pick kernels
        per_size = by_spinning[spinning] = {}
        for size in sizes:
            per_size[size] = round(measure(predict, texts, size, args.seconds), 1)
            say(f"in-process, spinning {spinning}, batch {size}: {per_size[size]} texts/s")
    spinning, best = max(
        ((mode, size) for mode, per_size in by_spinning.items() for size in per_size),
        key=lambda pair: by_spinning[pair[0]][pair[1]],
    )
    memory = psutil.Process().memory_full_info()
    json.dump(
        {
            "threads": threads,
            "texts_per_s_by_spinning": by_spinning,
            "best_spinning": spinning,
            "best_batch": best,
            "limit_texts_per_s": by_spinning[spinning][best],
            "rss_mib": round(memory.rss / 2**20),
            "pss_mib": round(memory.pss / 2**20),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
