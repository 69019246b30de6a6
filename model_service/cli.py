"""`python -m model_service <verb>`: the pipeline, one verb per stage.

validate -> train (logs to MLflow and registers) -> promote (quality gate, alias champion)
-> build (Bento with the champion baked in) -> serve. `retrain` is train + promote in one
run (the cluster's training jobs); `export-encoder` writes the encoder folder the training
image trains with, without torch. Benchmarks live outside the product:
`python -m benchmarks.encoders` and `make bench` (docs/benchmarks.md).
Human-readable progress goes to stderr; results that scripts read go to stdout as JSON.
"""

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from model_service import commands
from model_service.errors import CommandError
from model_service.settings import Settings, SettingsError

log = logging.getLogger("model_service")
# Verbs that read the labelled rows: from the table when TROLL_DATASET_URL is set.
READS_DATASET = {"validate", "train", "promote", "retrain"}
VERBS = {
    "validate": commands.validate,
    "train": commands.train,
    "register": commands.register,
    "promote": commands.promote,
    "retrain": commands.retrain,
    "evaluate-slices": commands.evaluate_slices,
    "export-encoder": commands.export_encoder,
    "build": commands.build,
    "serve": commands.serve,
}


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value}")
    return value


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def data_options(p: argparse.ArgumentParser, positional: bool = False) -> None:
    """The dataset options of every verb that reads one."""
    if positional:
        p.add_argument("data", nargs="?", type=existing_file, help="CSV (default: bundled)")
    else:
        p.add_argument("--data", type=existing_file, help="CSV text,label[,category]")
    p.add_argument(
        "--drop-bad",
        action="store_true",
        help="drop bad rows (each is listed) instead of failing",
    )
    p.add_argument("--max-text-chars", type=positive_int, help="longest allowed text")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m model_service", description=__doc__.split("\n")[0]
    )
    root.add_argument(
        "--tracking-uri", help="MLflow tracking server (default: $MLFLOW_TRACKING_URI)"
    )
    root.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    verbs = root.add_subparsers(dest="verb", required=True, metavar="VERB")
    # Every verb needs a function in VERBS (a unit test checks both ways).

    p = verbs.add_parser("validate", help="check a dataset: schema, rows, duplicates, balance")
    data_options(p, positional=True)
    p.add_argument("--write-clean", type=Path, metavar="PATH", help="write the usable rows here")

    p = verbs.add_parser("train", help="train, evaluate, log to MLflow and register")
    data_options(p)
    p.add_argument("--embedding-model", help="'default' (offline MiniLM), a name or a directory")
    p.add_argument(
        "--encoder-backend", help="torch, onnx or onnx-int8 (default: $TROLL_ENCODER_BACKEND)"
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--test-percent", type=positive_int, help="held-out share in percent")
    p.add_argument("--cv-folds", type=positive_int)
    p.add_argument(
        "--train-sample", type=positive_int, metavar="N", help="train on N rows only (experiments)"
    )
    p.add_argument(
        "--target-neutral-fpr",
        type=fraction,
        help="choose the threshold so that at most this share of neutral validation rows "
        "is flagged",
    )
    p.add_argument("--no-register", action="store_true", help="log the run but do not register")

    p = verbs.add_parser("register", help="register the model logged by a run")
    p.add_argument("run_id")

    p = verbs.add_parser("promote", help="gate a registered version; move the alias if it passes")
    data_options(p)
    p.add_argument("--version", type=positive_int, help="model version (default: the latest)")
    p.add_argument("--min-f1", type=fraction, help="absolute F1 floor")
    p.add_argument(
        "--max-drop", type=fraction, help="allowed held-out ROC AUC drop against the champion"
    )
    p.add_argument(
        "--max-neutral-fpr", type=fraction, help="highest false-positive rate on a neutral slice"
    )
    p.add_argument(
        "--max-slice-drop",
        type=fraction,
        help="allowed rise in a slice's false-positive rate or fall in its recall",
    )

    p = verbs.add_parser(
        "retrain", help="train, register and promote through the gate: one continuous-training run"
    )
    data_options(p)
    p.add_argument(
        "--unless-champion",
        action="store_true",
        help="do nothing when the alias already names a version (the first-champion job)",
    )

    p = verbs.add_parser(
        "evaluate-slices",
        help="score a model on the evaluation slices (data/slices): flagged and caught, per slice",
    )
    p.add_argument("--model-uri", help="default: models:/<name>@<alias>")

    p = verbs.add_parser(
        "export-encoder",
        help="write the embedding model's ONNX export, which training can use without torch",
    )
    p.add_argument("--embedding-model", help="'default' (offline MiniLM), a name or a directory")
    p.add_argument("--encoder-backend", help="onnx or onnx-int8 (default: $TROLL_ENCODER_BACKEND)")
    p.add_argument("--out", type=Path, required=True, help="a new (or empty) folder")

    p = verbs.add_parser("build", help="bake the champion into a Bento (bentoml build)")
    p.add_argument("--model-uri", help="default: models:/<name>@<alias>")
    p.add_argument(
        "--out",
        type=Path,
        default=Path(".run/bento"),
        help="self-contained Bento folder, the image build context (default: .run/bento)",
    )
    p.add_argument("--platform", help="lock for a target platform, e.g. aarch64-manylinux_2_36")

    p = verbs.add_parser("serve", help="run the BentoML service (bentoml serve)")
    p.add_argument("--model-uri", help="models:/name@alias, models:/name/N, a path or bento:TAG")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=positive_int, default=3000)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    # No usage reporting from the libraries: these machines and clusters may be offline.
    for name in ("DO_NOT_TRACK", "MLFLOW_DISABLE_TELEMETRY", "BENTOML_DO_NOT_TRACK"):
        os.environ.setdefault(name, "true")
    # MLflow would copy this repository's uv.lock (training tooling) into every logged model;
    # the model declares its serving requirements itself.
    os.environ.setdefault("MLFLOW_LOG_UV_FILES", "false")
    if args.tracking_uri:
        os.environ["MLFLOW_TRACKING_URI"] = args.tracking_uri
    try:
        settings = Settings.from_env().replace(
            data=getattr(args, "data", None),
            max_text_chars=getattr(args, "max_text_chars", None),
            embedding_model=getattr(args, "embedding_model", None),
            encoder_backend=getattr(args, "encoder_backend", None),
            seed=getattr(args, "seed", None),
            test_percent=getattr(args, "test_percent", None),
            cv_folds=getattr(args, "cv_folds", None),
            gate_min_f1=getattr(args, "min_f1", None),
            gate_max_drop=getattr(args, "max_drop", None),
            gate_max_neutral_fpr=getattr(args, "max_neutral_fpr", None),
            gate_max_slice_drop=getattr(args, "max_slice_drop", None),
            target_neutral_fpr=getattr(args, "target_neutral_fpr", None),
            model_uri=getattr(args, "model_uri", None),
        )
        # Libraries print to stdout (MLflow's run links); keep it for the verb's result.
        results = sys.stdout
        with contextlib.redirect_stdout(sys.stderr), contextlib.ExitStack() as stack:
            if args.verb in READS_DATASET:
                settings = stack.enter_context(commands.dataset_rows(settings))
            return VERBS[args.verb](args, settings, results)
    except (SettingsError, CommandError) as exc:
        print(f"model_service {args.verb}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
