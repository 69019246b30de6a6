"""Run Locust headless in a subprocess and leave its results in an output directory.

A subprocess because Locust gevent-patches the process that imports it; the
caller stays a plain Python process that reads and judges the results.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from loadtests import profiles
from loadtests.profiles import Load
from loadtests.texts import REPO_ROOT

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Seconds users get to finish their request when the run time is up.
STOP_TIMEOUT = 5
# Startup, shutdown and report writing, on top of run time and stop timeout.
GRACE = 60


class RunError(RuntimeError):
    pass


def locust_argv(host: str, load: Load, out_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(load.users),
        "--spawn-rate",
        str(load.spawn_rate),
        # Always bounded: a load test stops by itself.
        "--run-time",
        load.run_time,
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--csv",
        str(out_dir / "locust"),
        "--json-file",
        str(out_dir / "stats"),  # Locust appends .json
        "--html",
        str(out_dir / "report.html"),
        "--only-summary",
        # Failures are judged against the thresholds, not by Locust's exit code.
        "--exit-code-on-error",
        "0",
        "--user-rate",
        str(load.user_rate),
        "--errors-file",
        str(out_dir / "errors.json"),
        *load.user_classes,
    ]


def run(host: str, load: Load, out_dir: Path) -> Path:
    """Run Locust to completion; its console output goes to out_dir/locust.log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / "locust.log"
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    limit = profiles.seconds(load.run_time) + STOP_TIMEOUT + GRACE
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            locust_argv(host, load, out_dir),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise RunError(f"Locust did not stop within {limit}s; see {log_path}") from None
        except BaseException:
            _stop(process)
            raise
    if code != 0:
        tail = "".join(log_path.read_text(encoding="utf-8").splitlines(True)[-20:])
        raise RunError(f"Locust exited with {code}; last lines of {log_path}:\n{tail}")
    return out_dir


def _pythonpath() -> str:
    # The locustfile imports the loadtests package from the repository root.
    existing = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(REPO_ROOT), existing] if existing else [str(REPO_ROOT)])


def _stop(process: subprocess.Popen) -> None:
    """Stop Locust and anything it started (it may fork workers)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT + 5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
