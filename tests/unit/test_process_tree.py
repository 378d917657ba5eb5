"""Processes that user code starts end with it, daemons that left its session included."""

import os
import sys
import textwrap
import threading
import time
from pathlib import Path

from pachlite.worker import user_code

DAEMON = """
import os, sys, time
pidfile, linger = sys.argv[1], float(sys.argv[2])
if os.fork() == 0:                      # the classic double fork, leaving the session
    os.setsid()
    if os.fork() == 0:
        if os.fork() == 0:              # and a child of the daemon, for good measure
            time.sleep(600)
        with open(pidfile, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    os._exit(0)
os.wait()
while not os.path.exists(pidfile):
    time.sleep(0.01)
time.sleep(linger)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def run(script: Path, pidfile: Path, linger: float) -> user_code.Outcome:
    return user_code.run(
        [sys.executable, str(script), str(pidfile), str(linger)],
        stdin="",
        env=dict(os.environ),
        cwd=str(script.parent),
        timeout=None,
        log=lambda stream, line: None,
    )


def test_a_double_forked_daemon_dies_with_its_datum_and_only_its_own(tmp_path: Path) -> None:
    script = tmp_path / "daemon.py"
    script.write_text(textwrap.dedent(DAEMON))
    quick, slow = tmp_path / "quick.pid", tmp_path / "slow.pid"
    other = threading.Thread(target=run, args=(script, slow, 2.0))
    other.start()  # a second datum running at the same time, with its own daemon
    try:
        assert run(script, quick, 0.2).code == 0
        daemon = int(quick.read_text())
        assert not alive(daemon)
        while not slow.exists():
            time.sleep(0.01)
        assert alive(int(slow.read_text())), "the other datum's daemon was killed too"
    finally:
        other.join()
    assert not alive(int(slow.read_text()))
