"""CPU budget and thread settings, so workers x encoder threads never exceed the cores."""

import math
import os
from pathlib import Path

from model_service.model.pyfunc import THREADS_ENV

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def cpu_budget(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Cores this process may use: the container's CPU limit (cgroup v2) when set, else the
    CPUs it is pinned to. A Kubernetes limit of 2 on a 64-core node means 2, not 64."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == "max":
        return cores
    return max(1, min(cores, math.ceil(int(quota) / int(period))))


def threads_per_worker(workers: int, configured: int = 0, budget: int | None = None) -> int:
    """Settings.encoder_threads when set, else the CPU budget shared among the workers."""
    if configured:
        return configured
    return max(1, (budget or cpu_budget()) // max(1, workers))


def limit_threads(threads: int) -> None:
    """Call before the encoder loads. BentoML sets no thread variables for new-style
    services, so without this each worker would use every core. The logged model applies
    the count to its encoder (torch or ONNX Runtime threads); torch itself is not imported
    here, since a serving image for an ONNX encoder has none."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    os.environ[THREADS_ENV] = str(threads)
    # The tokenizer's own pool would compete with the encoder's for the same cores.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
