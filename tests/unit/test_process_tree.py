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


LEFTOVERS = """
import os, sys, time
pidfile, linger = sys.argv[1], float(sys.argv[2])
pids = []
for own_group in (False, True):         # left in the session: in its process group, and not
    pid = os.fork()
    if pid == 0:
        if own_group:
            os.setpgid(0, 0)
        time.sleep(600)
    pids.append(pid)
with open(pidfile, "w") as f:
    f.write(" ".join(map(str, pids)))
time.sleep(linger)
"""


def test_children_left_in_the_session_die_once_the_leader_exits(tmp_path: Path) -> None:
    """The leader exits first: what it left (re-parented to the engine, a subreaper) is found
    by the sweep, and a second datum's processes running meanwhile are left alone."""
    script = tmp_path / "leftovers.py"
    script.write_text(textwrap.dedent(LEFTOVERS))
    quick, slow = tmp_path / "quick.pid", tmp_path / "slow.pid"
    other = threading.Thread(target=run, args=(script, slow, 2.0))
    other.start()
    try:
        while not slow.exists():
            time.sleep(0.01)
        assert run(script, quick, 0.1).code == 0
        assert not [pid for pid in map(int, quick.read_text().split()) if alive(pid)]
        theirs = [int(pid) for pid in slow.read_text().split()]
        assert all(alive(pid) for pid in theirs), "the other datum's processes were killed"
    finally:
        other.join()
    assert not [pid for pid in theirs if alive(pid)]
