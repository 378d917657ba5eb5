"""SIGKILL at random moments during puts: the store stays consistent and keeps its promises.

Every commit the writer reported as finished must still be there, finished, with exactly the
content it reported; `pachlite fsck` must be clean; an open commit stays open (or finished).
PACHLITE_CRASH_TRIALS sets how many kills (default 12 here; the reliability suite runs 100).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pachlite import Client
from tests.crash.crash_child import digest

CHILD = Path(__file__).with_name("crash_child.py")
TRIALS = int(os.environ.get("PACHLITE_CRASH_TRIALS", "12"))
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(root: Path, seed: int, scratch: Path, after: float) -> list[tuple[str, str, str]]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(root), str(seed), str(scratch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    promises: list[tuple[str, str, str]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            _, repo, commit_id, content = line.decode().split()
            promises.append((repo, commit_id, content))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    assert proc.stderr is not None
    errors = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.stdout is not None
    proc.stdout.close()
    assert "Traceback" not in errors, errors
    return promises


@pytest.mark.slow
def test_sigkill_during_puts_loses_no_finished_commit(tmp_path: Path) -> None:
    root = tmp_path / "store"
    rng = random.Random(1234)
    kept: list[tuple[str, str, str]] = []
    for trial in range(TRIALS):
        kept += run_and_kill(root, trial, tmp_path / "scratch", rng.uniform(0.3, 2.0))
        with Client(root) as client:
            report = client.fsck()
            assert report.ok, report.problems
            for repo, commit_id, content in kept:
                info = client.inspect_commit(f"{repo}@{commit_id}")
                assert info.is_finished
                state = {p: h for p, _, h in client.walk_file(f"{repo}@{commit_id}:/")}
                assert digest(state) == content, f"{repo}@{commit_id} changed after a crash"
    assert len(kept) > TRIALS, "the writer should finish several commits per trial"


@pytest.mark.slow
def test_sigkill_during_a_cli_directory_put(tmp_path: Path) -> None:
    root = tmp_path / "store"
    source = tmp_path / "tree"
    source.mkdir()
    for i in range(3000):
        (source / f"{i:04d}.bin").write_bytes(os.urandom(20_000))
    env = {**os.environ, "PACHLITE_ROOT": str(root)}
    cmd = [sys.executable, "-m", "pachlite"]
    subprocess.run([*cmd, "create", "repo", "r"], env=env, check=True)
    subprocess.run(
        [*cmd, "put", "file", "r@master:/before", "-f", "-"], input=b"kept", env=env, check=True
    )
    for delay in (0.3, 0.6, 0.9):
        proc = subprocess.Popen(
            [*cmd, "put", "file", "-r", "r@master:/tree", "-f", str(source)],
            env=env,
            stderr=subprocess.PIPE,
        )
        time.sleep(delay)
        proc.kill()
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        with Client(root) as client:
            assert client.fsck().ok
            assert client.get_file("r@master:/before") == b"kept"
            files = list(client.walk_file("r@master:/"))
            # All or nothing: the put's commit either landed whole or not at all.
            assert len(files) in (1, 3001)
