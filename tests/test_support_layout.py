"""Tests and benches share code only through tests/support: no test module, bench or support
module imports a test module or conftest, so running one test file never runs another's
module-level code, and a bench never depends on how a test is written."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.repo import REPO_ROOT


def imports_of_tests(path: Path) -> set[str]:
    """Every module under `tests` that the file imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name == "tests" or name.startswith("tests."))
    return found


def test_tests_and_benches_import_only_the_support_package() -> None:
    files = sorted([*(REPO_ROOT / "tests").rglob("*.py"), *(REPO_ROOT / "bench").glob("*.py")])
    outside = []
    for path in files:
        where = str(path.relative_to(REPO_ROOT))
        for module in sorted(imports_of_tests(path)):
            if module.startswith("tests.support."):
                continue
            outside.append(f"{where} imports {module}")
    assert outside == [], "move what they use into tests/support"
