"""bench/scaling.py --quick end to end: the PNG, the markdown and every curve in them (not timed;
the figures themselves are docs/performance.md's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import REPO_ROOT

CURVES = ("puts", "ingest", "all-skipped", "incremental", "history", "cli")


@pytest.mark.slow
def test_quick_scaling_run_writes_every_curve(tmp_path: Path) -> None:
    png, table, rows = tmp_path / "tmp.png", tmp_path / "table.md", tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "scaling.py"), "--quick", "--no-dvc",
         "--out", str(png), "--table", str(table), "--json", str(rows)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # six panels drawn, not an empty canvas

    text = table.read_text()
    assert text.strip() == done.stdout.strip()  # what is written is what was printed
    assert "commit " in text.splitlines()[0]
    for curve in CURVES:
        assert f"**{curve}: " in text, f"no table for {curve}"
    assert "not installed" in text  # --no-dvc: the DVC columns say so

    saved = json.loads(rows.read_text())["curves"]
    assert sorted(saved) == sorted(CURVES)
    assert all(saved[curve] for curve in CURVES)
    assert [r["datums"] for r in saved["all-skipped"]] == [100, 1_000]
    assert {r["command"] for r in saved["cli"]} >= {"python -c pass (floor)", "dvc status"}
    # the curves log one line per point as they go
    assert done.stderr.count("] jobs ") == 2 and done.stderr.count("] puts ") == 2
