"""`python -m loadtests run`: run a load profile against the service and gate on its thresholds.

Exit codes: 0 every threshold held, 1 a threshold was breached (or the scenario
code raised), 2 bad arguments or profile file, 3 the run could not happen.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from loadtests import gate, profiles, report, results, runner, scenarios, target
from loadtests.texts import REPO_ROOT

DEFAULT_HOST = "http://127.0.0.1:3000"
PASSED, BREACHED, USAGE, CANNOT_RUN = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        profile = _profile(args)
        host = target.check_url(args.host, allow_remote=args.allow_remote)
    except (profiles.ProfileError, target.TargetError) as error:
        parser.exit(USAGE, f"loadtests: error: {error}\n")
    out_dir = args.out or _default_out(profile.name)
    load = profile.load
    print(
        f"loadtests: profile {profile.name}: {load.users} user(s) of {', '.join(load.user_classes)}"
        f" at {_rate(load.user_rate)}, spawn {load.spawn_rate}/s, for {load.run_time},"
        f" against {host}; results in {out_dir}",
        flush=True,
    )
    try:
        target.check_ready(host)
        runner.run(host, load, out_dir)
        measured = results.load(out_dir)
        errors = results.load_errors(out_dir)
    except (target.TargetError, runner.RunError, results.ResultsError) as error:
        print(f"loadtests: error: {error}", file=sys.stderr)
        return CANNOT_RUN
    print(report.table(measured))
    expected = scenarios.sent_by(load.user_classes)
    breaches = gate.evaluate(measured, profile.thresholds, expected)
    print(report.verdict(profile.name, breaches))
    print(report.errors(errors), end="")
    print(f"reports: {out_dir}/report.html, stats.json, errors.json, locust_*.csv")
    return BREACHED if breaches or errors.exceptions else PASSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtests", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a load profile and check its thresholds")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--profile", choices=profiles.names(), help="a checked-in profile")
    which.add_argument(
        "--profile-file", type=Path, help="a profile YAML file (same keys as the checked-in ones)"
    )
    run.add_argument("--host", default=DEFAULT_HOST, help=f"service URL (default {DEFAULT_HOST})")
    # Overrides of the profile's load; its thresholds stay as they are.
    run.add_argument("--users", type=_positive(int), help="simulated users")
    run.add_argument("--spawn-rate", type=_positive(float), help="users started per second")
    run.add_argument("--run-time", type=_run_time, help="run time, e.g. 30s, 2m")
    run.add_argument(
        "--user-rate", type=_positive(float, zero=True), help="requests/s per user (0: no wait)"
    )
    run.add_argument("--out", type=Path, help="results directory (default results/loadtests/...)")
    run.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (on purpose only)"
    )
    return parser


def _profile(args: argparse.Namespace) -> profiles.Profile:
    path = args.profile_file or profiles.path_of(args.profile)
    profile = profiles.load(path)
    overrides = {
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time": args.run_time,
        "user_rate": args.user_rate,
    }
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(profile, load=dataclasses.replace(profile.load, **given))


def _default_out(profile: str) -> Path:
    return REPO_ROOT / "results" / "loadtests" / f"{profile}-{time.strftime('%Y%m%d-%H%M%S')}"


def _rate(user_rate: float) -> str:
    return f"{user_rate:g} req/s each" if user_rate else "no wait (saturating)"


def _positive(kind: type, zero: bool = False):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be {'>= 0' if zero else '> 0'}, got {text}")
        return value

    return parse


def _run_time(text: str) -> str:
    try:
        return profiles.duration(text)
    except profiles.ProfileError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
