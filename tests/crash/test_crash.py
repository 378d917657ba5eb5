"""SIGKILL in the middle of a CLI directory put: the commit lands whole or not at all.

Random kills of a writer, of jobs and of `pachlite up` are in tests/reliability/ (the same
harness bench/reliability.py runs 100 times per scenario).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pachlite import Client


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
