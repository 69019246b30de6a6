"""`make images`: the platform's images for every platform with `docker buildx`, what the
pipelines' image jobs run (and `make ci-local` through them).

    make images REGISTRY=harbor.example.com/mlops VERSIONS="1a2b3c4d5e6f 1.2.0" PUSH=true

Each image is built from the repository root and tagged REGISTRY/NAME:VERSION for each
version; without PUSH=true the build only proves it builds (BuildKit's cache keeps it).
The training image trains with the encoder exported once, without torch: it is exported
first, as `python -m model_service export-encoder` does.
"""

import argparse
import os
import shutil
import subprocess
import sys

from devstack.paths import REPO_ROOT

# name -> Dockerfile, all built from the repository root (the root .dockerignore).
IMAGES = {
    "troll-classifier": "model_service/serving/Dockerfile",
    "troll-classifier-training": "model_service/training/Dockerfile",
    "webapp": "webapp/Dockerfile",
}
ENCODER = REPO_ROOT / ".run" / "encoder"


def build_commands(
    registry: str, versions: list[str], platforms: str, push: bool
) -> list[list[str]]:
    commands = []
    for name, dockerfile in IMAGES.items():
        tags = [a for version in versions for a in ("-t", f"{registry}/{name}:{version}")]
        output = "--push" if push else "--output=type=cacheonly"
        commands.append(
            [
                "docker",
                "buildx",
                "build",
                "--platform",
                platforms,
                "-f",
                dockerfile,
                *tags,
                output,
                ".",
            ]
        )
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make images", description=__doc__)
    parser.add_argument("--registry", required=True, help="registry host and namespace")
    parser.add_argument("--versions", required=True, help="tags, separated by spaces")
    parser.add_argument("--platforms", default="linux/amd64,linux/arm64")
    parser.add_argument("--push", choices=("true", "false"), default="false")
    args = parser.parse_args(argv)
    versions = args.versions.split()
    if not args.registry.strip() or "://" in args.registry:
        parser.error(f"REGISTRY must be host[:port]/namespace, got {args.registry!r}")
    if not versions:
        parser.error("VERSIONS is empty: give at least one tag")
    # export-encoder writes into a new folder: a second build replaces the first's export.
    shutil.rmtree(ENCODER, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "model_service", "export-encoder", "--out", str(ENCODER)],
        cwd=REPO_ROOT,
        check=True,
    )
    for command in build_commands(args.registry, versions, args.platforms, args.push == "true"):
        print(f"==> {' '.join(command)}", file=sys.stderr, flush=True)
        subprocess.run(command, cwd=REPO_ROOT, check=True, env=os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
