"""The encoder backends compared in-process: throughput per batch size, held-out F1, vector
agreement with torch, and the resident memory of a process holding each (reported, never
asserted).

    python -m benchmarks.encoders [--data CSV] [--batch-sizes 1,8,32] [--json PATH]

Throughput: every text of the dataset, in consecutive batches of the given size, one
`encode` call per batch (as the service calls it), best of `repeats` passes after a
warm-up. F1 on the held-out split two ways: (a) the SVM trained on torch vectors fed this
backend's vectors, (b) an SVM trained end to end on this backend's vectors. RSS: a fresh
process loads the encoder as the logged model would, encodes a warm-up batch, reports.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from model_service.cli import data_options, positive_int
from model_service.model.pyfunc import ENCODER_BACKENDS
from model_service.serving import runtime
from model_service.settings import Settings, SettingsError
from model_service.training import embedding
from model_service.training.data import MIN_ROWS_PER_LABEL, Comment, DataError, load_comments
from model_service.training.evaluation import classification_metrics
from model_service.training.split import is_held_out
from model_service.training.svm import grid_search

THRESHOLD = 0.5
WARM_UP_TEXTS = 64


def throughput(encoder, texts: list[str], batch_size: int, repeats: int) -> float:
    """texts/s: the best of `repeats` passes over all texts, one call per batch."""
    batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
    encoder.encode(batches[0], batch_size)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            encoder.encode(batch, batch_size)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def run(
    comments: list[Comment],
    *,
    embedding_model: str,
    test_percent: int,
    cv_folds: int,
    seed: int,
    batch_sizes: list[int],
    repeats: int,
    threads: int,
    workdir: Path,
) -> dict:
    runtime.limit_threads(threads)
    texts = [c.text for c in comments]
    is_test = np.array([is_held_out(c.text, test_percent) for c in comments])
    labels = np.array([c.label for c in comments])
    folds = min(cv_folds, int(np.bincount(labels[~is_test], minlength=2).min()))
    results: dict = {
        "threads": threads,
        "texts": len(texts),
        "train_rows": int((~is_test).sum()),
        "test_rows": int(is_test.sum()),
        "backends": {},
    }
    vectors, searches = {}, {}
    for backend in ENCODER_BACKENDS:
        encoder = embedding.load_encoder(embedding_model, backend, workdir / backend)
        folder = workdir / backend / "logged"
        encoder.save(folder)  # what the logged model carries, for the memory probe
        vectors[backend] = encoder.encode(texts, 32)
        searches[backend] = grid_search(vectors[backend][~is_test], labels[~is_test], folds, seed)
        results["backends"][backend] = {
            "texts_per_s": {
                bs: round(throughput(encoder, texts, bs, repeats), 1) for bs in batch_sizes
            },
            "memory": memory(backend, folder, texts[:WARM_UP_TEXTS], threads),
            "artifact_mb": round(
                sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1
            ),
        }
        del encoder
    y_test = labels[is_test]
    torch_svm = searches["torch"].best_estimator_
    for backend, row in results["backends"].items():
        x_test = vectors[backend][is_test]
        own = searches[backend].best_estimator_
        cosine = (vectors[backend] * vectors["torch"]).sum(axis=1)
        row["f1_torch_svm"] = _f1(y_test, torch_svm.predict_proba(x_test)[:, 1])
        row["f1_own_svm"] = _f1(y_test, own.predict_proba(x_test)[:, 1])
        row["best_params"] = {
            k.removeprefix("estimator__"): v for k, v in searches[backend].best_params_.items()
        }
        row["cosine_to_torch"] = {"min": float(cosine.min()), "mean": float(cosine.mean())}
    base = results["backends"]["torch"]["f1_own_svm"]
    for row in results["backends"].values():
        row["f1_delta_torch_svm"] = round(row["f1_torch_svm"] - base, 4)
        row["f1_delta_own_svm"] = round(row["f1_own_svm"] - base, 4)
    return results


def _f1(y_true: np.ndarray, scores: np.ndarray) -> float:
    return round(classification_metrics(y_true, scores, THRESHOLD)["f1"], 4)


def memory(backend: str, folder: Path, texts: list[str], threads: int) -> dict:
    """RSS of a fresh process that loads the encoder as the logged model does."""
    probe = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_probe", backend, str(folder), str(threads)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(probe.stdout)


def as_markdown(results: dict) -> str:
    backends = results["backends"]
    sizes = list(next(iter(backends.values()))["texts_per_s"])
    lines = [
        f"threads {results['threads']}, {results['texts']} texts; held-out {results['test_rows']}",
        "",
        "| backend | " + " | ".join(f"batch {s}" for s in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name, row in backends.items():
        lines.append(
            f"| {name} | " + " | ".join(str(v) for v in row["texts_per_s"].values()) + " |"
        )
    lines += [
        "",
        "| backend | F1 torch SVM (Δ) | F1 own SVM (Δ) | cosine to torch min / mean | RSS MB | "
        "peak MB | artifact MB | torch imported |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in backends.items():
        m = row["memory"]
        lines.append(
            f"| {name} | {row['f1_torch_svm']} ({row['f1_delta_torch_svm']:+}) | "
            f"{row['f1_own_svm']} ({row['f1_delta_own_svm']:+}) | "
            f"{row['cosine_to_torch']['min']:.4f} / {row['cosine_to_torch']['mean']:.4f} | "
            f"{m['rss_mb']} | {m['peak_rss_mb']} | {row['artifact_mb']} | {m['torch_imported']} |"
        )
    return "\n".join(lines)


def _batch_sizes(text: str) -> list[int]:
    return [positive_int(part) for part in text.split(",")]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.encoders",
        description="compare the encoder backends in-process: speed, F1, memory",
    )
    data_options(p)
    p.add_argument("--embedding-model", help="'default' (offline MiniLM), a name or a directory")
    p.add_argument(
        "--batch-sizes", type=_batch_sizes, default=[1, 8, 32, 64, 128], help="e.g. 1,8,32"
    )
    p.add_argument("--repeats", type=positive_int, default=3, help="passes per batch size")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    return p


def main(argv: list[str] | None = None) -> int:
    """The table for people on stderr, JSON on stdout and optionally in a file."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env().replace(
            data=args.data, max_text_chars=args.max_text_chars, embedding_model=args.embedding_model
        )
        report = load_comments(
            settings.data,
            settings.max_text_chars,
            settings.min_label_share,
            MIN_ROWS_PER_LABEL,
            args.drop_bad,
        )
        for bad in report.bad_rows:
            print(f"dropped {settings.data}: {bad}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="troll-bench-") as workdir:
            results = run(
                report.comments,
                embedding_model=settings.embedding_model,
                test_percent=settings.test_percent,
                cv_folds=settings.cv_folds,
                seed=settings.seed,
                batch_sizes=args.batch_sizes,
                repeats=args.repeats,
                threads=runtime.threads_per_worker(1, settings.encoder_threads),
                workdir=Path(workdir),
            )
    except (SettingsError, DataError, embedding.EmbeddingModelError) as exc:
        print(f"benchmarks.encoders: error: {exc}", file=sys.stderr)
        return 1
    print(as_markdown(results), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
