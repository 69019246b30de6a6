"""The labelled comments table on a real PostgreSQL: filled once from the bundled CSV,
read by the CLI's verbs instead of the CSV when TROLL_DATASET_URL is set, its snapshot
recorded in the MLflow run; bad rows named, nothing lost."""

import json
import threading
from pathlib import Path

import psycopg
import pytest
from mlflow import MlflowClient

from devstack.model_servers import run_cli
from model_service.settings import DEFAULT_DATA
from model_service.training import data, dataset_table
from model_service.training.tracking import dataset_digest

DATABASE = "dataset_table_tests"
MAX_CHARS = 1000


@pytest.fixture
def table_url(postgres) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    postgres.psql(f"CREATE DATABASE {DATABASE}")
    return postgres.url(DATABASE)


def rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"SELECT text, label, category FROM {dataset_table.TABLE} ORDER BY id"
        ).fetchall()


def add(url: str, *new: tuple[str, int, str]) -> None:
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            f"INSERT INTO {dataset_table.TABLE} (text, label, category) VALUES (%s, %s, %s)", new
        )


def test_two_first_runs_at_once_fill_the_table_once(table_url: str, tmp_path: Path) -> None:
    taken = []

    def take(n: int) -> None:
        taken.append(
            dataset_table.snapshot(table_url, DEFAULT_DATA, tmp_path / f"{n}.csv", MAX_CHARS)
        )

    threads = [threading.Thread(target=take, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bundled = data.read_comments(DEFAULT_DATA, MAX_CHARS).comments
    assert len(rows(table_url)) == len(bundled)
    assert sorted(t.filled_from is not None for t in taken) == [False, True]
    # The snapshot is the bundled rows, in order: the same digest as training on the CSV.
    snapshot = data.read_comments(taken[0].path, MAX_CHARS)
    assert (snapshot.bad_rows, snapshot.errors) == ([], [])
    assert dataset_digest(snapshot.comments) == dataset_digest(bundled)


def test_a_seed_with_a_bad_row_fills_nothing(table_url: str, tmp_path: Path) -> None:
    seed = tmp_path / "seed.csv"
    seed.write_text("text,label\nfine,0\nbroken,7\n")
    with pytest.raises(dataset_table.DatasetTableError, match="line 3: label must be 0 or 1"):
        dataset_table.snapshot(table_url, seed, tmp_path / "out.csv", MAX_CHARS)
    with psycopg.connect(table_url) as conn:  # rolled back whole: not even the table
        found = conn.execute("SELECT to_regclass(%s)", (dataset_table.TABLE,)).fetchone()[0]
    assert found is None


def test_an_unreachable_table_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://trainer:s3cret@127.0.0.1:1/labels"
    with pytest.raises(dataset_table.DatasetTableError) as refused:
        dataset_table.snapshot(url, DEFAULT_DATA, tmp_path / "out.csv", MAX_CHARS)
    assert "postgresql://127.0.0.1:1/labels table labelled_comments" in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_validate_reads_the_table_and_names_a_bad_row(table_url: str, model_env) -> None:
    env = {**model_env, "TROLL_DATASET_URL": table_url}
    assert run_cli("validate", env=env).returncode == 0
    add(table_url, ("x" * 1200, 1, "insult"))
    checked = run_cli("validate", env=env, check=False)
    assert checked.returncode == 1
    assert f"line {len(rows(table_url)) + 1}: text is 1200 characters long" in checked.stdout
    assert "table labelled_comments" in checked.stdout
    assert len(rows(table_url)) == len(data.read_comments(DEFAULT_DATA, MAX_CHARS).comments) + 1


def test_training_on_the_table_records_its_snapshot(table_url: str, model_env, tmp_path) -> None:
    env = {
        **model_env,
        "TROLL_DATASET_URL": table_url,
        "TROLL_MODEL_NAME": "troll-classifier-table",
    }
    add_later = [
        ("Wow, another hot take from the resident genius. Groundbreaking.", 1, "sarcastic_putdown"),
        ("Could you share the source? I would like to read the full study.", 0, "question"),
    ]
    first = json.loads(run_cli("train", "--no-register", "--cv-folds", "2", env=env).stdout)
    add(table_url, *add_later)
    second = json.loads(run_cli("train", "--no-register", "--cv-folds", "2", env=env).stdout)
    client = MlflowClient(model_env["MLFLOW_TRACKING_URI"])
    runs = [client.get_run(r["run_id"]) for r in (first, second)]
    table = dataset_table.describe(table_url)
    assert [r.data.tags["data_path"] for r in runs] == [table, table]
    assert "@" not in table
    snapshot = dataset_table.snapshot(table_url, DEFAULT_DATA, tmp_path / "now.csv", MAX_CHARS)
    comments = data.read_comments(snapshot.path, MAX_CHARS).comments
    assert runs[1].data.tags["data_sha256"] == dataset_digest(comments)
    assert runs[0].data.tags["data_sha256"] != runs[1].data.tags["data_sha256"]
    counts = [int(r.data.params["rows"]) for r in runs]
    assert counts[1] == counts[0] + len(add_later) == len(comments)
