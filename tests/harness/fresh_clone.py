"""The README's commands as a newcomer runs them: on the files a fresh clone has.

A fresh clone has only what git tracks, never build output such as packaged charts.
The files are copied from the working tree, so edits not yet committed count, and so do
new files git does not ignore.
"""

import shlex
import shutil
import subprocess
from pathlib import Path

from devstack.paths import REPO_ROOT

# What the chart commands read: the charts, the profiles, the README.
CHART_FILES = ("charts", "values", "README.md")


def tracked_copy(dest: Path, *paths: str) -> Path:
    """Copy the files git tracks or would track under `paths` to `dest`; returns dest."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, set(listed.split("\0"))):
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is gone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def readme_command(marker: str) -> list[str]:
    """The command in the ```bash block after `<!-- marker -->` in the README."""
    readme = (REPO_ROOT / "README.md").read_text()
    after = readme.split(f"<!-- {marker} -->", 1)
    assert len(after) == 2, f"README.md has no <!-- {marker} --> block"
    block = after[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return shlex.split(block)
