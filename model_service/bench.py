"""Latency and throughput of a running service, measured over HTTP (reported, never asserted).

Single-request latency: sequential requests of one text. Batched throughput: concurrent
clients, first each sending one text (BentoML's adaptive batching merges them), then each
sending `batch` texts per request. The client runs on the same machine as the server.
"""

import csv
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


class BenchError(RuntimeError):
    pass


def _texts(data: Path) -> list[str]:
    with data.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies: list[float], seconds: float, texts: int, failures: dict) -> dict:
    return {
        "requests": len(latencies),
        "texts": texts,
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "texts_per_s": round(texts / seconds, 1),
        "latency_ms_mean": round(statistics.fmean(latencies) * 1000, 1),
        "latency_ms_p50": round(_percentile(latencies, 0.5) * 1000, 1),
        "latency_ms_p95": round(_percentile(latencies, 0.95) * 1000, 1),
        "latency_ms_p99": round(_percentile(latencies, 0.99) * 1000, 1),
        "failures": failures,
    }


def _measure(client: httpx.Client, bodies: list[list[str]], concurrency: int) -> dict:
    latencies: list[float] = []
    failures: dict[str, int] = {}

    def one(texts: list[str]) -> None:
        start = time.perf_counter()
        response = client.post("/classify", json={"texts": texts})
        latencies.append(time.perf_counter() - start)
        if response.status_code != 200 or len(response.json()) != len(texts):
            failures[str(response.status_code)] = failures.get(str(response.status_code), 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, bodies))
    elapsed = time.perf_counter() - start
    return _summary(latencies, elapsed, sum(len(b) for b in bodies), failures)


def run(url: str, data: Path, requests: int, concurrency: int, batch: int) -> dict:
    texts = _texts(data)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=url, timeout=120, limits=limits) as client:
        try:
            ready = client.get("/readyz")
        except httpx.HTTPError as exc:
            raise BenchError(f"cannot reach {url}: {exc}") from None
        if ready.status_code != 200:
            raise BenchError(f"{url}/readyz answered {ready.status_code}: the model is not ready")
        info = client.post("/model_info", json={}).json()

        def bodies(count: int, size: int) -> list[list[str]]:
            return [[texts[(i * size + j) % len(texts)] for j in range(size)] for i in range(count)]

        _measure(client, bodies(10, 1), 1)  # warm-up
        return {
            "url": url,
            "model": info,
            "single_request": _measure(client, bodies(requests, 1), 1),
            f"concurrent_single_text_x{concurrency}": _measure(
                client, bodies(requests, 1), concurrency
            ),
            f"batched_{batch}_texts_x{concurrency}": _measure(
                client, bodies(requests, batch), concurrency
            ),
        }


def as_markdown(results: dict) -> str:
    rows = [
        "| measurement | requests | texts/s | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if isinstance(r, dict) and "texts_per_s" in r:
            rows.append(
                f"| {name} | {r['requests']} | {r['texts_per_s']} | {r['requests_per_s']} | "
                f"{r['latency_ms_p50']} | {r['latency_ms_p95']} | {r['latency_ms_p99']} | "
                f"{r['failures'] or 0} |"
            )
    return "\n".join(rows)
