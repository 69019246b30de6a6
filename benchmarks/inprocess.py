"""The limit: the registered model's own predict throughput in one process, no HTTP.

    python -m benchmarks.inprocess MODEL_URI [--batch-sizes 1,8,32,64,128] [--seconds 8]

Prints one JSON object: texts/s per batch size, the best of them, and the process's memory.
Same thread budget as the servers (model_service/runtime.py), same texts as the load.
"""

import argparse
import json
import sys
import time

import pandas as pd
import psutil

from benchmarks.load import Texts
from loadtests.texts import TextPool
from model_service import model_source, runtime


def measure(predict, texts: Texts, batch: int, seconds: float) -> float:
    """Texts per second over whole predict calls for at least `seconds` (and 3 calls)."""
    done, calls, start = 0, 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < seconds:
        predict(texts.take(batch))
        done += batch
        calls += 1
    return done / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("model_uri")
    parser.add_argument("--batch-sizes", default="1,8,32,64,128")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.batch_sizes.split(",")]

    threads = runtime.torch_threads(workers=1)
    runtime.limit_threads(threads)  # before the model's torch starts its thread pools
    model = model_source.load(args.model_uri).model

    def predict(batch: list[str]) -> None:
        model.predict(pd.DataFrame({"text": batch}))

    texts = Texts(list(TextPool.load().comments))
    predict(texts.take(32))  # warm-up: first calls allocate and pick kernels
    per_size = {}
    for size in sizes:
        per_size[size] = round(measure(predict, texts, size, args.seconds), 1)
        print(f"in-process batch {size}: {per_size[size]} texts/s", file=sys.stderr, flush=True)
    best = max(per_size, key=per_size.get)
    memory = psutil.Process().memory_full_info()
    json.dump(
        {
            "threads": threads,
            "texts_per_s_by_batch": per_size,
            "best_batch": best,
            "limit_texts_per_s": per_size[best],
            "rss_mib": round(memory.rss / 2**20),
            "pss_mib": round(memory.pss / 2**20),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
