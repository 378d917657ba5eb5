"""SIGKILL while a job runs: on the next start the job runs again and ends as if never cut."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.model import JobState

SPEC = """
pipeline: {name: slowcopy}
transform:
  cmd: [%s, %s]
  env: {OUT_DIR: /pfs/out}
input: {pfs: {repo: in, glob: "/*"}}
parallelism_spec: {constant: 2}
"""
SCRIPT = """
import os, pathlib, time
time.sleep(0.05)
src = pathlib.Path(os.environ["in"])
pathlib.Path(os.environ["OUT_DIR"], src.name).write_bytes(src.read_bytes()[::-1])
"""


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(int(os.environ.get("PACHLITE_CRASH_TRIALS", "12")) // 4))
def test_sigkill_during_a_job_then_resume(tmp_path: Path, trial: int) -> None:
    root = tmp_path / "store"
    script = tmp_path / "rev.py"
    script.write_text(SCRIPT)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC % (sys.executable, script))
    expected = {}
    with Client(root) as client:
        client.create_repo("in")
        with client.commit("in@master"):
            for i in range(40):
                data = os.urandom(100)
                client.put_file_bytes(f"in@master:/f{i:02d}", data)
                expected[f"/f{i:02d}"] = data[::-1]
    env = {**os.environ, "PACHLITE_ROOT": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "create", "pipeline", "-f", str(spec)],
        env=env,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    time.sleep(random.Random(trial).uniform(0.8, 2.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Client(root) as client:
        assert client.fsck().ok
        client.run_pending()
        job = client.list_job(pipeline="slowcopy")[0]
        assert job.state == JobState.SUCCESS
        got = {
            p: client.get_file(f"slowcopy@master:{p}")
            for p, _, _ in client.walk_file("slowcopy@master:/")
        }
        assert got == expected
        assert client.fsck().ok
