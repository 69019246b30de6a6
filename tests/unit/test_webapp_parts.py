"""The web app's parts that need no server: its settings' refusals, the account rules,
and that its image holds everything it imports and nothing heavier."""

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

from devstack.images.recipes import WEBAPP_DOCKERFILE, copied_sources
from devstack.paths import REPO_ROOT
from webapp.accounts import check_new_user
from webapp.settings import Settings, SettingsError

GOOD = {
    "WEBAPP_DATABASE_URL": "postgresql://training@db:5432/training",
    "WEBAPP_MODEL_URL": "http://model:3000",
    "WEBAPP_SECRET_KEY": "k" * 40,
}


def test_settings_read_the_environment_and_name_every_bad_variable() -> None:
    settings = Settings.from_env({**GOOD, "WEBAPP_SECURE_COOKIES": "false"})
    assert settings.secure_cookies is False and settings.database_pool_size == 4
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {
                "WEBAPP_DATABASE_URL": "mysql://x",
                "WEBAPP_SECRET_KEY": "short",
                "WEBAPP_MLFLOW_URL": "mlflow:5000",
                "WEBAPP_PAGE_SIZE": "0",
                "WEBAPP_TRAINING_LAUNCHER": "kubernetes",
            }
        )
    assert str(refused.value) == (
        "WEBAPP_MODEL_URL is required; WEBAPP_DATABASE_URL must be a postgresql:// URL; "
        "WEBAPP_SECRET_KEY must be at least 32 characters; WEBAPP_MLFLOW_URL must be an "
        "http(s):// URL, got 'mlflow:5000'; WEBAPP_PAGE_SIZE must be at least 1; "
        "WEBAPP_TRAINING_CRONJOB is required with the kubernetes launcher"
    )
    for name, raw, message in (
        ("WEBAPP_SECURE_COOKIES", "maybe", "WEBAPP_SECURE_COOKIES='maybe' is not true or false"),
        ("WEBAPP_SESSION_HOURS", "eight", "WEBAPP_SESSION_HOURS='eight' is not a valid int"),
        ("WEBAPP_TRAINING_LAUNCHER", "ssh", "must be one of kubernetes, process or empty"),
    ):
        with pytest.raises(SettingsError, match=re.escape(message)):
            Settings.from_env({**GOOD, name: raw})


def test_a_new_user_is_checked_for_name_role_and_password_length() -> None:
    assert check_new_user("ada.l", "labeller", "a long enough password") == []
    assert check_new_user("Ada L", "owner", "short") == [
        "user name: 2 to 32 characters, lower-case letters, digits, '.', '_' or '-', "
        "starting with a letter or digit",
        "role must be one of admin, labeller",
        "password: at least 12 characters",
    ]


def imported_modules(path: Path) -> set[str]:
    """What importing the module imports: not the deliberately late imports inside
    functions (registry.py's MLflow, for one), which run only when called."""
    names = set()
    todo = list(ast.parse(path.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        todo += list(ast.iter_child_nodes(node))
    return names


def module_file(name: str) -> Path | None:
    base = REPO_ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_image_copies_every_module_the_app_imports_and_installs_every_library() -> None:
    """Follows the imports from webapp/ through the project's modules: each one is in a
    COPY of webapp/Dockerfile, and every other import is the standard library's or a
    distribution of webapp/requirements.txt (by its import name)."""
    copied = copied_sources(WEBAPP_DOCKERFILE)
    todo = sorted((REPO_ROOT / "webapp").rglob("*.py"))
    seen, third_party = set(), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        relative = str(path.relative_to(REPO_ROOT))
        assert any(relative == c or relative.startswith(c + "/") for c in copied), relative
        for name in imported_modules(path):
            found = module_file(name)
            if found:
                todo.append(found)
                # A package's __init__ runs first.
                for depth in range(1, len(name.split("."))):
                    parent = module_file(".".join(name.split(".")[:depth]))
                    if parent:
                        todo.append(parent)
            elif name.split(".")[0] not in sys.stdlib_module_names:
                third_party.add(name.split(".")[0])
    installs = {"fastapi", "starlette", "jinja2", "pwdlib", "psycopg", "psycopg_pool"}
    installs |= {"httpx", "uvicorn", "multipart", "itsdangerous"}
    assert third_party <= installs, third_party - installs
    assert "mlflow" not in third_party and "bentoml" not in third_party


def test_the_images_pins_match_the_lock() -> None:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    locked = {package["name"]: package["version"] for package in lock["package"]}
    lines = (REPO_ROOT / "webapp" / "requirements.txt").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert pins
    for pin in pins:
        name, version = re.fullmatch(r"([a-z0-9-]+)(?:\[[a-z0-9,]+\])?==(\S+)", pin).groups()
        assert locked.get(name) == version, f"{pin}: uv.lock has {locked.get(name)}"
