"""The web app's configuration: defaults overridden by WEBAPP_* environment variables,
checked once at start so that a bad value stops the app with a message naming it."""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_PREFIX = "WEBAPP_"
LAUNCHERS = ("", "kubernetes", "process")


class SettingsError(ValueError):
    """A value that cannot be used; the message names its environment variable."""


@dataclass(frozen=True)
class Settings:
    # PostgreSQL: users, feedback, login failures and the labelled comments table.
    database_url: str = ""
    # Most connections one app process keeps open (the umbrella counts them against
    # PostgreSQL's limit).
    database_pool_size: int = 4
    # Seconds the app waits at start for the database to take a connection (a fresh
    # install starts it beside PostgreSQL) before it gives up with the reason.
    database_wait_seconds: int = 120
    # The model service (BentoML), for /classify and /model_info.
    model_url: str = ""
    # Signs the session and CSRF cookies; every replica needs the same one.
    secret_key: str = ""
    # The first admin, created at start when no user of that name exists (the chart
    # generates the password into a Secret kept across upgrades).
    admin_username: str = "admin"
    admin_password: str = ""
    # Cookies only over HTTPS. Browsers keep Secure cookies on http://127.0.0.1 and
    # http://localhost too, so only a plain-HTTP install on another host turns this off.
    secure_cookies: bool = True
    session_hours: int = 8
    # Failed logins per user name and client address within the window before 429.
    login_max_failures: int = 5
    login_window_seconds: int = 300
    # The same limit as the model service's (TROLL_MAX_TEXT_CHARS) and the CSV rules.
    max_text_chars: int = 1000
    page_size: int = 50
    # MLflow's API for the outcome of a training run ("": not shown), the address users
    # open for its links (default: the same), and an optional login.
    mlflow_url: str = ""
    mlflow_public_url: str = ""
    mlflow_username: str = ""
    mlflow_password: str = ""
    mlflow_experiment: str = "troll-classifier"
    # How "Start retraining" runs: "kubernetes" creates a Job from the training CronJob,
    # "process" runs `python -m model_service retrain` beside the app (development and
    # tests), "" hides the button.
    training_launcher: str = ""
    training_cronjob: str = ""
    training_namespace: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            name = ENV_PREFIX + field.name.upper()
            if name in environ:
                values[field.name] = _convert(name, environ[name], field.default)
        return cls(**values).checked()

    @property
    def mlflow_link_base(self) -> str:
        return (self.mlflow_public_url or self.mlflow_url).rstrip("/")

    def checked(self) -> "Settings":
        problems = []
        for name in ("database_url", "model_url", "secret_key"):
            if not getattr(self, name):
                problems.append(f"{ENV_PREFIX}{name.upper()} is required")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            problems.append(f"{ENV_PREFIX}DATABASE_URL must be a postgresql:// URL")
        if self.secret_key and len(self.secret_key) < 32:
            problems.append(f"{ENV_PREFIX}SECRET_KEY must be at least 32 characters")
        for name in ("model_url", "mlflow_url", "mlflow_public_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                problems.append(
                    f"{ENV_PREFIX}{name.upper()} must be an http(s):// URL, got {value!r}"
                )
        for name in (
            "session_hours",
            "login_max_failures",
            "login_window_seconds",
            "max_text_chars",
            "page_size",
            "database_pool_size",
            "database_wait_seconds",
        ):
            if getattr(self, name) < 1:
                problems.append(f"{ENV_PREFIX}{name.upper()} must be at least 1")
        if self.training_launcher not in LAUNCHERS:
            problems.append(
                f"{ENV_PREFIX}TRAINING_LAUNCHER must be one of kubernetes, process or empty, "
                f"got {self.training_launcher!r}"
            )
        if self.training_launcher == "kubernetes" and not self.training_cronjob:
            problems.append(
                f"{ENV_PREFIX}TRAINING_CRONJOB is required with the kubernetes launcher"
            )
        if problems:
            raise SettingsError("; ".join(problems))
        return self


def _convert(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise SettingsError(f"{name}={raw!r} is not true or false")
    try:
        return type(default)(raw)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a valid {type(default).__name__} (default {default!r})"
        ) from None
