"""`python -m benchmarks.memory_probe BACKEND FOLDER THREADS` (texts as JSON on stdin):
the resident memory of a process that loads an encoder as the logged model does and encodes
the texts. Imports only what serving imports, so the numbers are the serving process's."""

import json
import sys
from pathlib import Path

from model_service.model import pyfunc
from model_service.serving import runtime


def rss_mb() -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {k: round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM")}


def main(backend: str, folder: str, threads: int) -> dict:
    runtime.limit_threads(threads)  # before the encoder starts its thread pools
    before = rss_mb()["VmRSS"]
    encoder = pyfunc.load_encoder(backend, folder)
    encoder.encode(json.loads(sys.stdin.read()), 32)
    after = rss_mb()
    return {
        "rss_mb": after["VmRSS"],
        "peak_rss_mb": after["VmHWM"],
        "rss_before_encoder_mb": before,
        "torch_imported": "torch" in sys.modules,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
