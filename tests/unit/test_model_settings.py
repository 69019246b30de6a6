"""Configuration from TROLL_* variables: bad values name the variable."""

from pathlib import Path

import pytest

from model_service.runtime import cpu_budget, torch_threads
from model_service.settings import Settings, SettingsError


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


def test_unknown_encoder_backend_names_the_allowed_values() -> None:
    with pytest.raises(
        SettingsError,
        match="encoder_backend must be one of torch, onnx, onnx-int8, got 'tensorrt'",
    ):
        Settings.from_env({"TROLL_ENCODER_BACKEND": "tensorrt"})
    assert Settings.from_env({"TROLL_ENCODER_BACKEND": "onnx"}).encoder_backend == "onnx"


def test_cpu_budget_follows_the_cgroup_limit(tmp_path) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")
    assert cpu_budget(cpu_max) == min(2, cpu_budget(tmp_path / "absent"))
    cpu_max.write_text("max 100000\n")
    assert cpu_budget(cpu_max) == cpu_budget(tmp_path / "absent")


def test_threads_split_the_budget_between_workers() -> None:
    assert torch_threads(workers=1, budget=4) == 4
    assert torch_threads(workers=2, budget=4) == 2
    assert torch_threads(workers=4, budget=2) == 1
    assert torch_threads(workers=1, configured=3, budget=8) == 3
