"""Plain-text summary of a run for the console."""

from loadtests.gate import Breach
from loadtests.results import Errors, Results, Stats

HEADER = ("scenario", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "req/s")


def table(results: Results) -> str:
    rows = [_row(stats) for _, stats in sorted(results.scenarios.items())]
    rows.append(_row(results.total))
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    return "\n".join([line(HEADER), *(line(row) for row in rows)])


def verdict(profile: str, breaches: list[Breach]) -> str:
    if not breaches:
        return f"PASS: every {profile} threshold held"
    lines = [f"FAIL: {len(breaches)} {profile} threshold(s) breached"]
    lines += [f"  - {breach}" for breach in breaches]
    return "\n".join(lines)


def errors(found: Errors, limit: int = 5) -> str:
    """The most frequent failures, and any exception the scenario code raised ("" if none)."""
    lines = []
    if found.failures:
        lines.append("most frequent failures:")
        lines += [f"  {count} x {name}: {error}" for name, error, count in found.failures[:limit]]
    if found.exceptions:
        lines.append("FAIL: the scenario code raised (a bug in loadtests/, not the service):")
        lines += [f"  {count} x {message}" for count, message in found.exceptions]
    return "".join(f"{line}\n" for line in lines)


def _row(stats: Stats) -> tuple[str, ...]:
    return (
        stats.name,
        str(stats.requests),
        str(stats.failures),
        str(stats.percentile(0.50)),
        str(stats.percentile(0.95)),
        str(stats.percentile(0.99)),
        f"{stats.rps:.1f}",
    )
