"""The one process module: output pumped line by line, a stop with or without a grace."""

from __future__ import annotations

import os
import signal
import sys
import time

from pachlite.worker import process

# The handler writes with os.write: a print() in a signal handler that lands while the main
# code is still inside print("ready") is a reentrant call on stdout (RuntimeError, exit 1).
POLITE = """
import os, signal, time
def bye(*_):
    os.write(1, b"bye\\n")
    os._exit(0)
signal.signal(signal.SIGTERM, bye)
print("ready", flush=True)
time.sleep(600)
"""


def start(code: str, lines: list[tuple[str, str]], stdin: str = "") -> process.Process:
    return process.start(
        [sys.executable, "-c", code],
        cwd=os.getcwd(),
        env=dict(os.environ),
        stdin=stdin,
        sink=lambda stream, line: lines.append((stream, line)),
    )


def wait_for(lines: list[tuple[str, str]], line: str) -> None:
    deadline = time.monotonic() + 30
    while ("stdout", line) not in lines:
        assert time.monotonic() < deadline, f"never printed {line!r}: {lines}"
        time.sleep(0.01)


def test_stdin_is_fed_and_both_streams_reach_the_sink_a_line_at_a_time() -> None:
    lines: list[tuple[str, str]] = []
    code = "import sys; print(sys.stdin.read().upper(), end=''); print('oops', file=sys.stderr)"
    proc = start(code, lines, stdin="one\ntwo\n")
    assert proc.wait(30)
    assert proc.end() == 0
    assert sorted(lines) == [("stderr", "oops"), ("stdout", "ONE"), ("stdout", "TWO")]


def test_a_grace_lets_the_process_shut_down_cleanly() -> None:
    lines: list[tuple[str, str]] = []
    proc = start(POLITE, lines)
    wait_for(lines, "ready")
    assert proc.end(grace_s=10) == 0
    assert ("stdout", "bye") in lines


def test_without_a_grace_the_process_is_killed() -> None:
    lines: list[tuple[str, str]] = []
    proc = start(POLITE, lines)
    wait_for(lines, "ready")
    assert proc.end() == -signal.SIGKILL
    assert ("stdout", "bye") not in lines
