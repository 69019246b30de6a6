"""Dependencies run one way: the product (devstack, model_service, loadtests, benchmarks,
toolchain, ...) never imports tests/; tests import the product."""

import ast
from pathlib import Path

from devstack.paths import REPO_ROOT


def imports_of_tests(source: str) -> list[str]:
    """Every `import tests...` / `from tests... import` in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] == "tests"]
    return found


def product_sources() -> list[Path]:
    """Every Python file of the checkout outside tests/ and outside hidden folders
    (.venv, .tools, .git)."""
    return [
        path
        for path in sorted(REPO_ROOT.rglob("*.py"))
        if (parts := path.relative_to(REPO_ROOT).parts)[0] != "tests"
        and not any(part.startswith(".") for part in parts)
    ]


def test_the_checker_finds_every_form_of_importing_tests() -> None:
    source = (
        "import os\n"
        "import tests.harness.paths\n"
        "from tests import conftest\n"
        "from tests.harness.charts import Case\n"
        "from testsuite import x\n"
        "from . import tests\n"
    )
    assert imports_of_tests(source) == [
        "line 2: tests.harness.paths",
        "line 3: tests",
        "line 4: tests.harness.charts",
    ]


def test_no_module_outside_tests_imports_tests() -> None:
    sources = product_sources()
    packages = {path.relative_to(REPO_ROOT).parts[0] for path in sources}
    assert {"devstack", "model_service", "benchmarks", "loadtests"} <= packages
    offenders = [
        f"{path.relative_to(REPO_ROOT)} {found}"
        for path in sources
        for found in imports_of_tests(path.read_text())
    ]
    assert not offenders, "product code imports tests:\n" + "\n".join(offenders)
