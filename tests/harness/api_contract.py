"""schemathesis with every check against a served model API, as the component tier runs it
on `bentoml serve` and the containers tier through the Service."""

import re
import subprocess
import sys
from pathlib import Path

ST = Path(sys.executable).parent / "st"


def schemathesis_finds_no_failure(base_url: str, workdir: Path) -> str:
    """Run `st run <base_url>/docs.json --checks all`; fail with its report unless it
    generated cases and found no failure. Returns its output."""
    options = ["--checks", "all", "--continue-on-failure", "--request-timeout", "120"]
    result = subprocess.run(
        [str(ST), "run", f"{base_url}/docs.json", *options, "--no-color"],
        # In a scratch folder: schemathesis keeps a cache in its working directory.
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=3000,
    )
    output = result.stdout + result.stderr
    print(" ".join(["st", "run", "<api>/docs.json", *options]))
    print(output[-4000:])
    assert result.returncode == 0, output[-8000:]
    # The summary counts the generated cases; a run that tested nothing must not pass.
    cases = re.search(r"(\d+) generated", output)
    assert cases and int(cases.group(1)) > 0, output[-3000:]
    return output
