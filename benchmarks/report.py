"""The benchmark's results as Markdown tables, ratios against the targets, and a plot."""

from pathlib import Path

from matplotlib.figure import Figure

from benchmarks.servers import BENTOML, FASTAPI, MLFLOW

# The targets of issue 6, reported as met or not (never asserted: machines are noisy).
TARGET_OF_LIMIT = 0.80
TARGET_OVER_MLFLOW = 4.0
TARGET_P95_AT_HALF_MS = 100.0


def ratios(results: dict) -> dict:
    servers = results["servers"]
    ours = servers.get(BENTOML.name, {}).get("saturation_texts_per_s")
    found = {}
    if ours is None:
        return found
    found["served_over_limit"] = ours / results["limit"]["limit_texts_per_s"]
    for peer in (MLFLOW.name, FASTAPI.name):
        if peer in servers:
            found[f"served_over_{peer}"] = ours / servers[peer]["saturation_texts_per_s"]
    return found


def markdown(results: dict) -> str:
    limit, servers = results["limit"], results["servers"]
    lines = [
        f"Model `{results['model_uri']}`; CPU budget {results['cpu_budget']} threads;"
        f" {results['seconds_per_point']:g} s measured per point;"
        f" {results['texts_per_request']} text(s) per request.",
        "",
        "## Against the targets",
        "",
        "| measure | measured | target | met |",
        "|---|---|---|---|",
    ]
    found = ratios(results)
    if "served_over_limit" in found:
        lines.append(
            _row(
                "BentoML saturation / in-process limit",
                found["served_over_limit"],
                TARGET_OF_LIMIT,
                "x",
                at_least=True,
            )
        )
    if f"served_over_{MLFLOW.name}" in found:
        lines.append(
            _row(
                "BentoML / `mlflow models serve`",
                found[f"served_over_{MLFLOW.name}"],
                TARGET_OVER_MLFLOW,
                "x",
                at_least=True,
            )
        )
    if f"served_over_{FASTAPI.name}" in found:
        ratio = found[f"served_over_{FASTAPI.name}"]
        lines.append(f"| BentoML / plain FastAPI | {ratio:.2f}x | (none) | |")
    half = servers.get(BENTOML.name, {}).get("open_loop", {}).get("50%")
    if half and half["p95_ms"] is not None:
        lines.append(
            _row(
                "BentoML p95 at 50% of saturation",
                half["p95_ms"],
                TARGET_P95_AT_HALF_MS,
                " ms",
                at_least=False,
            )
        )
    lines += [
        "",
        "## In-process limit (no HTTP)",
        "",
        "| ONNX Runtime thread spinning | "
        + " | ".join(f"batch {size}" for size in limit["texts_per_s_by_spinning"]["off"])
        + " |",
        "|---|" + "---|" * len(limit["texts_per_s_by_spinning"]["off"]),
        *(
            f"| {mode} | " + " | ".join(f"{v:g}" for v in per_size.values()) + " |"
            for mode, per_size in limit["texts_per_s_by_spinning"].items()
        ),
        "",
        f"Best: {limit['limit_texts_per_s']:g} texts/s at batch {limit['best_batch']}, spinning"
        f" {limit['best_spinning']} ({limit['threads']} threads, one process holding"
        f" {limit['pss_mib']} MiB PSS). The service runs with spinning off.",
        "",
        "## Servers",
        "",
        "| server | saturation texts/s | clients | of limit | p50 / p95 / p99 ms at 50% |"
        " memory PSS (RSS) MiB | ready in s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in servers.items():
        at_half = s["open_loop"]["50%"]
        lines.append(
            f"| {name} | {s['saturation_texts_per_s']:g} | {s['saturation_concurrency']} |"
            f" {s['saturation_texts_per_s'] / limit['limit_texts_per_s']:.0%} |"
            f" {at_half['p50_ms']} / {at_half['p95_ms']} / {at_half['p99_ms']} |"
            f" {s['memory']['pss_mib']} ({s['memory']['rss_mib']}) | {s['ready_seconds']:g} |"
        )
    lines += _points("Latency at a fixed arrival rate (open loop, Poisson)", servers, "open_loop")
    lines += _points("Closed loop (clients sending back to back)", servers, "closed_loop")
    return "\n".join(lines) + "\n"


def _points(title: str, servers: dict, section: str) -> list[str]:
    """A table of one kind of measured point (closed or open loop) for every server."""
    lines = [
        "",
        f"## {title}",
        "",
        "| server | load | texts/s | p50 ms | p95 ms | p99 ms | failures |"
        " cores used: server / client |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, server in servers.items():
        for key, p in server[section].items():
            # Open-loop points carry the arrival rate they were offered.
            rate = p.get("offered_per_s")
            load = f"{key} clients" if rate is None else f"{key}: {rate:g} requests/s"
            lines.append(
                f"| {name} | {load} | {p['texts_per_s']:g} | {p['p50_ms']} | {p['p95_ms']} |"
                f" {p['p99_ms']} | {_failures(p)} | {_cores(p)} |"
            )
    return lines


def _row(what: str, value: float, target: float, unit: str, at_least: bool) -> str:
    met = value >= target if at_least else value <= target
    relation = ">=" if at_least else "<="
    shown = f"{value:.2f}{unit}" if unit == "x" else f"{value:g}{unit}"
    return f"| {what} | {shown} | {relation} {target:g}{unit} | {'yes' if met else 'no'} |"


def _cores(point: dict) -> str:
    if "server_cores" not in point:
        return "not measured"
    return f"{point['server_cores']:g} / {point['client_cores']:g}"


def _failures(point: dict) -> str:
    return ", ".join(f"{n} {why}" for why, n in point["failures"].items()) or "0"


def plot(results: dict, path: Path) -> None:
    # The object API: no pyplot state and no display needed on servers and CI.
    figure = Figure(figsize=(7, 4.5))
    axes = figure.add_subplot()
    for name, s in results["servers"].items():
        points = [(p["texts_per_s"], p["p95_ms"], p["p50_ms"]) for p in s["open_loop"].values()]
        best = s["closed_loop"][s["saturation_concurrency"]]
        points.append((best["texts_per_s"], best["p95_ms"], best["p50_ms"]))
        points = [p for p in points if p[1] is not None]
        line = axes.plot([p[0] for p in points], [p[1] for p in points], "o-", label=f"{name} p95")
        axes.plot(
            [p[0] for p in points],
            [p[2] for p in points],
            "x--",
            color=line[0].get_color(),
            alpha=0.6,
            label=f"{name} p50",
        )
    axes.axvline(
        results["limit"]["limit_texts_per_s"], color="grey", linestyle=":", label="in-process limit"
    )
    axes.set_xlabel(f"served texts/s ({results['texts_per_request']} text(s) per request)")
    axes.set_ylabel("latency, ms (log scale)")
    axes.set_yscale("log")
    axes.set_title("Latency vs throughput: 25/50/75% of saturation, then saturation")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
