"""python -m devstack.pipelines [--reduced]: the users' pipelines, run here (local_run.py)."""

import argparse
import signal
import sys

from devstack.pipelines.local_run import report, run_pipelines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.pipelines", description=__doc__)
    parser.add_argument(
        "--reduced",
        action="store_true",
        help="only the GitHub lint-and-static and GitLab release-chart jobs (the test tier's set)",
    )
    for pipeline in ("github", "gitlab"):
        parser.add_argument(
            f"--{pipeline}-jobs",
            metavar="JOB,...",
            help=f"run only these jobs of the {pipeline} pipeline (empty: none)",
        )
    args = parser.parse_args(argv)
    only = {
        pipeline: [job for job in selected.split(",") if job.strip()]
        for pipeline, selected in (("github", args.github_jobs), ("gitlab", args.gitlab_jobs))
        if selected is not None
    }
    # A stop request unwinds the run, so it stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    summary = run_pipelines(args.reduced, only)
    print(report(summary))
    return 0 if summary.passed else 1


if __name__ == "__main__":
    sys.exit(main())
