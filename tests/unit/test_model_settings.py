"""Configuration from TROLL_* variables: bad values name the variable."""

import os
from pathlib import Path

import pytest

from model_service import registry
from model_service.model.pyfunc import THREADS_ENV, encoder_threads
from model_service.serving.runtime import cpu_budget, limit_threads, threads_per_worker
from model_service.settings import Settings, SettingsError

THREAD_LIBRARY_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def test_environment_overrides_defaults_with_types() -> None:
    settings = Settings.from_env(
        {"TROLL_GATE_MIN_F1": "0.9", "TROLL_MAX_TEXTS": "8", "TROLL_DATA": "/x.csv"}
    )
    assert (settings.gate_min_f1, settings.max_texts, settings.data) == (0.9, 8, Path("/x.csv"))


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"TROLL_MAX_TEXTS='many' is not a valid int"):
        Settings.from_env({"TROLL_MAX_TEXTS": "many"})
    with pytest.raises(SettingsError, match="gate_min_f1 must be between 0 and 1, got 1.5"):
        Settings.from_env({"TROLL_GATE_MIN_F1": "1.5"})
    with pytest.raises(SettingsError, match="max_batch_size must be at least 1"):
        Settings().replace(max_batch_size=0)


def test_cpu_budget_follows_the_cgroup_limit(tmp_path) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")
    assert cpu_budget(cpu_max) == min(2, cpu_budget(tmp_path / "absent"))
    cpu_max.write_text("max 100000\n")
    assert cpu_budget(cpu_max) == cpu_budget(tmp_path / "absent")


def test_threads_split_the_budget_between_workers() -> None:
    assert threads_per_worker(workers=1, budget=4) == 4
    assert threads_per_worker(workers=2, budget=4) == 2
    assert threads_per_worker(workers=4, budget=2) == 1
    assert threads_per_worker(workers=1, configured=3, budget=8) == 3


def test_encoder_threads_have_one_name_from_the_environment_to_the_model(monkeypatch) -> None:
    """TROLL_ENCODER_THREADS is what the chart sets, what Settings reads and where the
    service writes the resolved count for the logged model."""
    for name in (THREADS_ENV, "TOKENIZERS_PARALLELISM", *THREAD_LIBRARY_ENV):
        monkeypatch.setenv(name, "0")  # so that the variables limit_threads sets are undone
        monkeypatch.delenv(name)
    assert encoder_threads() is None  # unset: each library picks its default
    configured = Settings.from_env({"TROLL_ENCODER_THREADS": "3"}).encoder_threads
    assert configured == 3
    limit_threads(threads_per_worker(workers=2, configured=configured, budget=8))
    assert encoder_threads() == 3
    assert all(os.environ[name] == "3" for name in THREAD_LIBRARY_ENV)
    assert Settings.from_env().encoder_threads == 3  # a worker re-reading it agrees
    with pytest.raises(SettingsError, match="encoder_threads must be 0 .auto. or more, got -1"):
        Settings.from_env({"TROLL_ENCODER_THREADS": "-1"})


def test_model_poll_seconds_is_zero_or_more() -> None:
    assert Settings.from_env({"TROLL_MODEL_POLL_SECONDS": "0"}).model_poll_seconds == 0
    with pytest.raises(SettingsError, match="model_poll_seconds must be 0 .never. or more, got -5"):
        Settings.from_env({"TROLL_MODEL_POLL_SECONDS": "-5"})


@pytest.mark.parametrize(
    ("uri", "follows"),
    [
        ("models:/troll-classifier@champion", True),
        ("models:/troll-classifier/3", False),
        ("/srv/model", False),
        ("bento:troll-classifier:abc", False),
    ],
)
def test_only_an_alias_is_followed_to_new_versions(uri: str, follows: bool) -> None:
    assert registry.is_alias(uri) is follows


def test_dataset_url_must_be_a_postgresql_url() -> None:
    url = "postgresql://trainer:secret@db:5432/labels"
    settings = Settings.from_env({"TROLL_DATASET_URL": url})
    assert settings.data_source == "postgresql://db:5432/labels table labelled_comments"
    assert Settings.from_env({}).data_source.endswith("comments.csv")
    with pytest.raises(SettingsError, match="dataset_url must be a postgresql:// URL"):
        Settings.from_env({"TROLL_DATASET_URL": "mysql://db/labels"})
