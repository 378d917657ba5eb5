"""Limits a user can reach: what user code prints, and the processes it leaves running.

Memory is measured as each `pachlite` process's peak resident set (wait4's ru_maxrss), next
to the same command on a quiet datum.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pachlite.worker.datum_log import HEAD_BYTES, TAIL_BYTES
from tests.support.noisy_logs import NOISY, meta_bytes, peak_rss_mb, spec
from tests.support.repo import REPO_ROOT


@pytest.mark.slow
def test_user_code_printing_100_mb_keeps_memory_and_the_log_bounded(tmp_path: Path) -> None:
    root = tmp_path / "store"
    (tmp_path / "noisy.py").write_text(NOISY)
    for i in range(30):
        (tmp_path / "files" / f"f{i:02d}").parent.mkdir(exist_ok=True)
        (tmp_path / "files" / f"f{i:02d}").write_text(str(i))
    (tmp_path / "quiet.yaml").write_text(spec("quiet", "[sh, -c, 'echo quiet']"))
    (tmp_path / "noisy.yaml").write_text(
        spec("noisy", f"[{sys.executable}, {tmp_path}/noisy.py, '100']")
    )
    (tmp_path / "many.yaml").write_text(
        spec("many", f"[{sys.executable}, {tmp_path}/noisy.py, '3']", "/*")
    )
    assert peak_rss_mb(root, "create", "repo", "data", cwd=tmp_path)[0] == 0
    assert (
        peak_rss_mb(root, "put", "file", "-r", "data@master:/", "-f", "files", cwd=tmp_path)[0] == 0
    )

    code, baseline = peak_rss_mb(root, "create", "pipeline", "-f", "quiet.yaml", cwd=tmp_path)
    assert code == 0
    before = meta_bytes(root)
    code, noisy = peak_rss_mb(root, "create", "pipeline", "-f", "noisy.yaml", cwd=tmp_path)
    assert code == 0
    assert noisy - baseline < 64, f"the job process grew by {noisy - baseline:.0f} MB"
    assert meta_bytes(root) - before < 4 * (HEAD_BYTES + TAIL_BYTES)

    code, _ = peak_rss_mb(root, "logs", "-p", "noisy", cwd=tmp_path)
    log = (tmp_path / "out.txt").read_text().splitlines()
    assert code == 0 and log[0].endswith("| first line") and log[-1].endswith("| last line")
    [cut] = [line for line in log if "of output cut here" in line]
    assert "bytes (" in cut and "keeps its first 512 KiB and its last 512 KiB" in cut

    # `pachlite logs` streams: 30 datums of capped logs (30 MiB) cost it no more memory.
    assert peak_rss_mb(root, "create", "pipeline", "-f", "many.yaml", cwd=tmp_path)[0] == 0
    code, quiet_logs = peak_rss_mb(root, "logs", "-p", "quiet", cwd=tmp_path)
    code, many_logs = peak_rss_mb(root, "logs", "-p", "many", cwd=tmp_path)
    assert code == 0 and (tmp_path / "out.txt").stat().st_size > 25 << 20
    assert many_logs - quiet_logs < 16, f"logs grew by {many_logs - quiet_logs:.0f} MB"


DAEMONIZE = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(sys.argv[1], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    os._exit(0)
os.wait()
time.sleep(float(sys.argv[2]))  # a spout that finishes, or a service that keeps serving
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(path: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


@pytest.mark.slow
def test_daemons_of_spouts_and_services_die_when_they_stop(tmp_path: Path) -> None:
    (tmp_path / "daemonize.py").write_text(DAEMONIZE)
    (tmp_path / "pipelines").mkdir()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    (tmp_path / "pipelines" / "dag.yaml").write_text(f"""
pipeline: {{name: feed}}
spout: {{}}
transform: {{cmd: [{sys.executable}, {tmp_path}/daemonize.py, {tmp_path}/spout.pid, '0.2']}}
---
pipeline: {{name: web}}
input: {{pfs: {{repo: data, glob: /}}}}
service: {{internal_port: {port}, external_port: {port}}}
transform: {{cmd: [{sys.executable}, {tmp_path}/daemonize.py, {tmp_path}/service.pid, '600']}}
""")
    root = tmp_path / "store"
    env = {**os.environ, "PACHLITE_ROOT": str(root), "PYTHONPATH": str(REPO_ROOT)}
    run = [sys.executable, "-m", "pachlite"]
    subprocess.run([*run, "create", "repo", "data"], env=env, check=True, cwd=tmp_path)
    subprocess.run(
        [*run, "put", "file", "data@master:/a"], input=b"a", env=env, check=True, cwd=tmp_path
    )
    up = subprocess.Popen(
        [*run, "up", "-f", "pipelines"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        spout_daemon = wait_for(tmp_path / "spout.pid")
        service_daemon = wait_for(tmp_path / "service.pid")
        deadline = time.monotonic() + 30  # the spout exits 0 after 0.2 s: its daemon goes too
        while alive(spout_daemon) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(spout_daemon), "a finished spout's daemon outlived it"
        assert alive(service_daemon), "a running service's daemon was killed early"
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
    assert not alive(service_daemon), "a stopped service's daemon outlived it"
