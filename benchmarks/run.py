"""`make bench`: the serving path against the model's own limit and against the peers a
user would pick instead, measured side by side in one run on this machine.

Phases, one at a time so that nothing else competes for the cores:
  1. the registered model (a private MLflow registry, or an existing one);
  2. the limit: in-process predict throughput at the best batch size (benchmarks.inprocess);
  3. for each server (BentoML, `mlflow models serve`, plain FastAPI): closed-loop clients
     sending one text per request at rising concurrency (saturation = the best texts/s),
     then open-loop Poisson arrivals at 25/50/75% of that server's own saturation
     (p50/p95/p99), then the memory of its processes at steady state;
  4. results.json, results.md and latency-vs-throughput.png in the output folder.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import registry, report
from benchmarks.load import Texts, closed_loop, open_loop
from benchmarks.servers import KINDS, cpu_seconds, memory_mib
from loadtests.texts import REPO_ROOT, TextPool

LOAD_FRACTIONS = (0.25, 0.50, 0.75)


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _numbers(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1, got {text!r}")
    return values


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=REPO_ROOT / ".run" / "bench", help="results folder")
    p.add_argument("--servers", default=",".join(KINDS), help=f"any of {', '.join(KINDS)}")
    p.add_argument("--concurrency", type=_numbers, default=[1, 8, 32, 64])
    p.add_argument("--texts-per-request", type=_positive, default=1)
    p.add_argument(
        "--batch-sizes", type=_numbers, default=[1, 8, 32, 64, 128], help="of the in-process limit"
    )
    p.add_argument("--seconds", type=_seconds, default=15.0, help="measured time per point")
    p.add_argument("--warmup", type=_seconds, default=5.0, help="unmeasured time before each")
    p.add_argument(
        "--model-uri",
        help="serve this registered model (needs MLFLOW_TRACKING_URI) instead of training one",
    )
    return p


def run(args: argparse.Namespace) -> dict:
    kinds = [KINDS[name] for name in args.servers.split(",")]
    texts = list(TextPool.load().comments)
    work = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    if args.model_uri:
        model = registry.existing(os.environ["MLFLOW_TRACKING_URI"], args.model_uri)
    else:
        model = registry.fresh(work, say)
    try:
        say(f"in-process limit of {model.model_uri} (batch sizes {args.batch_sizes})")
        limit = _inprocess(model, args)
        say(f"limit: {limit['limit_texts_per_s']} texts/s at batch {limit['best_batch']}")
        served = {kind.name: _serve(kind, model, texts, work, args) for kind in kinds}
    except BaseException:
        say(f"stopped; the servers' logs are in {work / 'logs'}")
        raise
    finally:
        model.stop()
    shutil.rmtree(work, ignore_errors=True)
    return {
        "model_uri": model.model_uri,
        "cpu_budget": limit["threads"],
        "seconds_per_point": args.seconds,
        "texts_per_request": args.texts_per_request,
        "limit": limit,
        "servers": served,
    }


def _inprocess(model: registry.Registry, args) -> dict:
    argv = [sys.executable, "-m", "benchmarks.inprocess", model.model_uri]
    argv += [
        "--batch-sizes",
        ",".join(map(str, args.batch_sizes)),
        "--seconds",
        str(args.seconds / 3),
    ]
    # stderr (per-size progress) goes straight to the terminal.
    result = subprocess.run(
        argv, check=False, cwd=REPO_ROOT, env=model.env, stdout=subprocess.PIPE, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"the in-process measurement failed (exit {result.returncode})")
    return json.loads(result.stdout)


def _serve(kind, model: registry.Registry, texts: list[str], work: Path, args) -> dict:
    server = kind.server(model.model_uri, model.env, work / "logs")
    say(f"{kind.name}: starting ({' '.join(server.argv[:3])} ...)")
    started = time.monotonic()
    server.start()
    try:
        server.wait_for(kind.ready_path, timeout=600)
        ready_s = round(time.monotonic() - started, 1)
        pool = Texts(texts)

        def measure(loop, **load) -> dict:
            """One point: the load, plus the cores the server and this client used."""
            load |= {"batch": args.texts_per_request, "warmup": args.warmup}
            return _with_cpu(server, loop, server.url, kind.api, pool, seconds=args.seconds, **load)

        sweep = {}
        for concurrency in args.concurrency:
            sweep[concurrency] = point = measure(closed_loop, concurrency=concurrency)
            say(f"{kind.name}: {concurrency} clients -> {_line(point)}")
        best = max(sweep, key=lambda c: sweep[c]["texts_per_s"])
        saturation = sweep[best]["texts_per_s"]
        levels = {}
        for fraction in LOAD_FRACTIONS:
            # Arrivals are requests; saturation is texts.
            rate = round(saturation * fraction / args.texts_per_request, 1)
            level = f"{round(fraction * 100)}%"
            levels[level] = {"offered_per_s": rate, **measure(open_loop, rate=rate)}
            say(f"{kind.name}: {level} of saturation ({rate} requests/s) -> {_line(levels[level])}")
        memory = memory_mib(server)
        say(
            f"{kind.name}: memory at steady state:"
            f" {memory['pss_mib']} MiB PSS, {memory['rss_mib']} MiB RSS"
        )
        return {
            "ready_seconds": ready_s,
            "closed_loop": sweep,
            "saturation_concurrency": best,
            "saturation_texts_per_s": saturation,
            "open_loop": levels,
            "memory": memory,
        }
    finally:
        server.stop()


def _with_cpu(server, measure, *args, **kwargs) -> dict:
    """The measurement, plus the cores the server and this client used meanwhile: on a
    shared machine the client's share is taken from the server's."""
    wall, client, served = time.monotonic(), time.process_time(), cpu_seconds(server)
    point = measure(*args, **kwargs)
    wall = time.monotonic() - wall
    point["server_cores"] = round((cpu_seconds(server) - served) / wall, 2)
    point["client_cores"] = round((time.process_time() - client) / wall, 2)
    return point


def _line(point: dict) -> str:
    failures = sum(point["failures"].values())
    return (
        f"{point['texts_per_s']} texts/s, p50 {point['p50_ms']} ms, p95 {point['p95_ms']} ms,"
        f" p99 {point['p99_ms']} ms; cores: server {point['server_cores']},"
        f" client {point['client_cores']}"
        + (f", {failures} failed {point['failures']}" if failures else "")
    )


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every server started so far is stopped."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _stop_on_sigterm()
    unknown = set(args.servers.split(",")) - set(KINDS)
    if unknown:
        parser().error(
            f"unknown server(s) {', '.join(sorted(unknown))}: choose from {', '.join(KINDS)}"
        )
    if args.model_uri and "MLFLOW_TRACKING_URI" not in os.environ:
        parser().error("--model-uri needs MLFLOW_TRACKING_URI (the registry that holds it)")
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report.markdown(results)
    (args.out / "results.md").write_text(markdown)
    report.plot(results, args.out / "latency-vs-throughput.png")
    print(markdown)
    say(f"results in {args.out}")
    return 0
