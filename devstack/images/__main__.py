"""python -m devstack.images build [NAME...] [--bento DIR] | list

build: every recipe (or the named ones and what they need), skipping unchanged ones;
       ends with a table of what was built or found cached, and how long each took.
list:  each recipe, the reference it carries and whether it is built.
"""

import argparse
import os
import signal
import sys

from devstack.images import docker as engine
from devstack.images.build import build, listing
from devstack.images.recipes import BENTO_DIR_ENV, RECIPES


def stop_on_sigterm(signum: int, frame) -> None:
    # As an exception, so builds clean up (unmount, remove their work folders).
    raise SystemExit(f"images: stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    parser = argparse.ArgumentParser(
        prog="python -m devstack.images", description=__doc__.split("\n")[0]
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    build_verb = verbs.add_parser("build", help="build images (all by default)")
    build_verb.add_argument("names", nargs="*", metavar="NAME", help=", ".join(RECIPES))
    build_verb.add_argument(
        "--bento", help="Bento directory for troll-classifier (default: .run/bento-path)"
    )
    verbs.add_parser("list", help="recipes, their references and what is built")
    args = parser.parse_args(argv)
    try:
        if args.verb == "list":
            for row in listing():
                print(f"{row['name']:<20} {row['reference']:<42} {row['state']}")
            return 0
        if args.bento:
            os.environ[BENTO_DIR_ENV] = os.path.abspath(args.bento)
        outcomes = build(args.names)
    except (engine.EngineError, KeyError, OSError, ValueError, RuntimeError) as err:
        print(f"images: {err}", file=sys.stderr)
        return 1
    print(f"{'image':<20} {'reference':<42} {'action':<7} seconds")
    for o in outcomes:
        print(f"{o.name:<20} {o.reference:<42} {o.action:<7} {o.seconds:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
