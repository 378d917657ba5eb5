"""Tests and benches share code only through tests/support: no test module, bench or support
module imports a test module or conftest, so running one test file never runs another's
module-level code, and a bench never depends on how a test is written."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.repo import REPO_ROOT

# Imports that helpers of the step tests still make while they move into tests/support;
# remove an entry when its import goes (an entry that no longer matches fails the test).
PENDING = {
    ("tests/reliability/test_security.py", "tests.steps.test_release"),
    ("tests/steps/test_warehouse.py", "tests.conftest"),
    ("tests/steps/test_warehouse.py", "tests.steps.batches"),
    ("tests/steps/test_release.py", "tests.conftest"),
    ("tests/steps/test_release.py", "tests.steps.releases"),
    ("tests/steps/test_stream_transform.py", "tests.conftest"),
    ("tests/steps/test_stream_transform.py", "tests.steps.batches"),
    ("tests/steps/test_training.py", "tests.conftest"),
    ("tests/steps/test_serving.py", "tests.conftest"),
    ("tests/steps/test_serving.py", "tests.steps.releases"),
    ("tests/steps/test_serving.py", "tests.steps.test_calibration"),
    ("tests/steps/test_serving.py", "tests.up.test_up"),
    ("tests/steps/test_reproducibility.py", "tests.conftest"),
    ("tests/steps/test_reproducibility.py", "tests.steps.test_training"),
    ("tests/steps/test_calibration.py", "tests.steps.test_training"),
    ("tests/steps/test_notebook_and_run.py", "tests.conftest"),
    ("tests/steps/test_notebook_and_run.py", "tests.steps.test_serving"),
    ("tests/steps/test_notebook_and_run.py", "tests.steps.test_training"),
    ("tests/steps/test_notebook_and_run.py", "tests.up.test_up"),
    ("tests/steps/batches.py", "tests.conftest"),
    ("bench/reliability.py", "tests.steps.test_serving"),
    ("bench/reliability.py", "tests.steps.test_warehouse"),
}


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
    outside, seen = [], set()
    for path in files:
        where = str(path.relative_to(REPO_ROOT))
        for module in sorted(imports_of_tests(path)):
            if module.startswith("tests.support."):
                continue
            if (where, module) in PENDING:
                seen.add((where, module))
                continue
            outside.append(f"{where} imports {module}")
    assert outside == [], "move what they use into tests/support"
    assert PENDING - seen == set(), "these imports are gone: remove them from PENDING"
