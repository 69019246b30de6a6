"""The Bento ships what the service imports and nothing of training or packaging: the
bentofile's `include` list against the modules a fresh process loads with the service."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from model_service.serving import SERVICE

REPO = Path(__file__).resolve().parents[2]
BENTOFILE = REPO / "model_service" / "bentofile.yaml"
IMPORTED_FILES = """
import json, sys
import model_service.serving.service
print(json.dumps(sorted(
    m.__file__ for name, m in sys.modules.items()
    if name.split(".")[0] == "model_service" and getattr(m, "__file__", None)
)))
"""


def test_the_bento_includes_exactly_the_modules_the_service_imports() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORTED_FILES],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    )
    imported = {str(Path(f).relative_to(REPO)) for f in json.loads(loaded.stdout)}
    patterns = [p for p in yaml.safe_load(BENTOFILE.read_text())["include"] if p.endswith(".py")]
    included = {
        str(path.relative_to(REPO))
        for pattern in patterns
        for path in REPO.glob(pattern)
        if "__pycache__" not in path.parts
    }
    assert "model_service/serving/service.py" in imported
    assert not [f for f in imported if f.startswith("model_service/training/")], imported
    assert imported == included, (
        f"imported, not in the Bento: {sorted(imported - included)}; "
        f"in the Bento, not imported: {sorted(included - imported)}"
    )


def test_the_bentofile_names_the_service_that_make_up_and_the_cli_serve() -> None:
    assert yaml.safe_load(BENTOFILE.read_text())["service"] == SERVICE
