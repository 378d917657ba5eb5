"""bench/goals.py --quick end to end: one verdict per goal, as a table and as JSON (not timed:
the figures are the closing note's and docs/performance.md's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import REPO_ROOT

GOALS_PY = str(REPO_ROOT / "bench" / "goals.py")


@pytest.mark.slow
def test_quick_goals_run_gives_one_verdict_per_goal(tmp_path: Path) -> None:
    table, rows = tmp_path / "goals.md", tmp_path / "goals.json"
    done = subprocess.run(
        [sys.executable, GOALS_PY, "--quick", "--table", str(table), "--json", str(rows)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    saved = json.loads(rows.read_text())
    assert "commit " in saved["stamp"]
    goals = [v["goal"] for v in saved["goals"]]
    assert goals == ["puts", "cli", "ingest-api", "ingest-cli", "million", "per-datum"]
    for verdict in saved["goals"]:
        assert verdict["measured"] and verdict["target"], verdict
        assert isinstance(verdict["met"], bool)

    text = table.read_text()
    assert text.strip() == done.stdout.strip()
    rows_shown = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows_shown) == 2 + len(goals)  # the header, its rule, then a row per goal
    assert [line.split(" | ")[0].removeprefix("| ") for line in rows_shown[2:]] == goals
    assert done.stderr.count(" ... (load ") == len(goals)  # progress, one line per goal


def test_an_unknown_goal_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, GOALS_PY, "--skip", "puts,speed"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no such goal: speed" in done.stderr
    assert "Traceback" not in done.stderr
