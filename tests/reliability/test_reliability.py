"""The quick variants of the reliability suite (bench/reliability.py runs 100 trials each).

PACHLITE_CRASH_TRIALS sets how many puts are killed (default 12); each other crash scenario
gets a quarter of that."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.reliability_harness import concurrency, put_trial, scenarios, verify_kept

PUT_TRIALS = int(os.environ.get("PACHLITE_CRASH_TRIALS", "12"))
TRIALS = max(1, PUT_TRIALS // 4)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(scenarios()))
def test_crash_scenario_recovers(tmp_path: Path, scenario: str) -> None:
    for seed in range(TRIALS):
        folder = tmp_path / f"trial{seed}"
        folder.mkdir()
        trial = scenarios()[scenario](folder, seed)
        assert trial.ok, f"{scenario}, seed {seed}: {trial.detail}"


@pytest.mark.slow
def test_puts_killed_again_and_again_keep_every_finished_commit(tmp_path: Path) -> None:
    kept: list[tuple[str, str, str]] = []
    for seed in range(PUT_TRIALS):
        trial = put_trial(tmp_path / "store", seed, kept)
        assert trial.ok, trial.detail
    assert kept and verify_kept(tmp_path / "store", kept) is None


@pytest.mark.slow
@pytest.mark.parametrize("same_repo", [True, False], ids=["one repo", "one repo each"])
def test_eight_writers_while_a_job_runs(tmp_path: Path, same_repo: bool) -> None:
    result = concurrency(tmp_path, processes=8, commits_each=10, same_repo=same_repo)
    assert result.ok, (result.failures, result.found, result.written, result.lock_errors)
