"""bench/sdk.py --quick end to end: every row, as a table and as JSON (not timed: the
figures are docs/performance.md's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import REPO_ROOT

SDK_PY = str(REPO_ROOT / "bench" / "sdk.py")


@pytest.mark.slow
def test_quick_sdk_run_gives_every_row(tmp_path: Path) -> None:
    rows = tmp_path / "sdk.json"
    done = subprocess.run(
        [sys.executable, SDK_PY, "--quick", "--json", str(rows)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    saved = json.loads(rows.read_text())
    measures = [r["measure"].strip() for r in saved["rows"]]
    assert [m.split(",")[0] for m in measures] == [
        "put_file_from_bytes",
        "the same",
        "the SDK encoding its 4 requests per file",
        "put_files of a 500-file directory",
        "one modify_file stream of 500 add_files",
        "inspect_commit",
        "GetFile of 64 MiB through the SDK",
    ]
    assert all(r["value"] > 0 for r in saved["rows"])
    shown = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(shown) == 2 + len(measures)
