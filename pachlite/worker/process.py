"""The one place pachlite starts processes: user code, spouts and services (and asks git).

Every process runs in its own session with a process-tree tag (`process_tree`), so ending it
kills whatever it started, daemons that left the session included. Its stdin is fed, and its
stdout and stderr pumped line by line to a sink, by threads: a process that reads no stdin
or prints without end blocks nothing. A line is read at most `LINE_BYTES` at a time, so a
line without end never fills memory.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pachlite.worker import process_tree
from pachlite.worker.datum_log import LINE_BYTES

LineSink = Callable[[str, str], None]  # (stream: "stdout" | "stderr", line)
STOP_GRACE_S = 5.0  # a spout or service gets SIGTERM and this long to shut down cleanly
DRAIN_S = 2.0  # how long a spout's or service's last output may take to reach its log


@dataclass
class Process:
    """A started process, its process-tree group and the threads that serve its pipes."""

    popen: subprocess.Popen[bytes]
    group: process_tree.Group
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        """Its exit code, or None while it runs."""
        return self.popen.poll()

    def wait(self, timeout: float) -> bool:
        """Whether it exited within `timeout` seconds."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def end(self, *, grace_s: float = 0.0, drain_s: float = 5.0) -> int:
        """Kill it (after SIGTERM and `grace_s` seconds to exit, if a grace is given) and
        every process it started, reap it, and let its output drain for up to `drain_s`.
        Returns its exit code (negative: the signal that ended it)."""
        if grace_s:
            process_tree.signal_session(self.group, signal.SIGTERM)
            self.wait(grace_s)
        process_tree.kill_group(self.group)  # daemons included
        self.popen.wait()
        for thread in self.threads:
            thread.join(timeout=drain_s)
        return self.popen.returncode


def start(
    argv: Sequence[str], *, cwd: str, env: Mapping[str, str], stdin: str, sink: LineSink
) -> Process:
    """Start argv (never through a shell) in its own session. OSError (or ValueError, for a
    NUL byte) when it cannot start."""
    process_tree.become_subreaper()
    group = process_tree.Group.new()
    popen = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=group.env(dict(env)),
        start_new_session=True,  # its own session, so we can kill what it starts
    )
    assert popen.stdin and popen.stdout and popen.stderr
    threads = [
        threading.Thread(target=pump, args=(popen.stdout, "stdout", sink), daemon=True),
        threading.Thread(target=pump, args=(popen.stderr, "stderr", sink), daemon=True),
        threading.Thread(target=_feed, args=(popen.stdin, stdin), daemon=True),
    ]
    for thread in threads:
        thread.start()
    return Process(popen, group.started(popen.pid), threads)


def pump(stream: IO[bytes], name: str, sink: LineSink) -> None:
    """Every line of `stream` to `sink`, read at most LINE_BYTES at a time."""
    for raw in iter(lambda: stream.readline(LINE_BYTES), b""):
        sink(name, raw.decode(errors="replace").rstrip("\n"))
    stream.close()


def _feed(stream: IO[bytes], data: str) -> None:
    try:
        if data:
            stream.write(data.encode())
        stream.close()
    except (BrokenPipeError, OSError):
        pass  # the command does not read stdin: Pachyderm ignores broken pipes too


def log_file_sink(path: Path, tag: str, console: Callable[[str, str], None]) -> LineSink:
    """Lines of a long-running process to its log file (stamped and tagged) and the console.
    The file is opened per line: a pipe thread that outlives its process has nothing to
    close."""

    def sink(_stream: str, line: str) -> None:
        with open(path, "a") as log:
            log.write(f"{time.time():.3f} {tag} {line}\n")
        console(tag, line)

    return sink


def git_commit(workdir: str) -> str | None:
    """The project's git commit (with +dirty for uncommitted changes), if it is a checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", workdir, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", workdir, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None
