"""The one place pachlite starts processes: user code, spouts and services (and asks git).

Every process runs in its own session with a process-tree tag (`process_tree`), so ending it
kills whatever it started, daemons that left the session included. Its stdin is fed, and its
stdout and stderr pumped line by line to a sink: a process that reads no stdin or prints
without end blocks nothing. A line is read at most `LINE_BYTES` at a time, so a line without
end never fills memory.

Two ways to run one: `start` serves a long-running process (a spout, a service) with threads
and hands back a `Process`; `run` runs a datum's command to its end in the calling thread,
one `poll` over its pipes and a pidfd that becomes readable the moment it exits (no thread
started, no sleep between looks: a datum of a few milliseconds costs a few milliseconds).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
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


@dataclass(frozen=True)
class Ended:
    """How a process run by `run` ended: its exit code (negative: the signal that ended it),
    or that it was killed for running past its deadline or for a stop."""

    code: int
    timed_out: bool
    stopped: bool


def run(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    stdin: str,
    sink: LineSink,
    timeout: float | None,
    should_stop: Callable[[], bool],
    check_every_s: float = 0.1,
    drain_s: float = 5.0,
) -> Ended:
    """Run argv (never through a shell) in its own session to its end, its output to `sink`
    line by line; kill it past `timeout` seconds or once `should_stop()` (asked every
    `check_every_s`) says so. Then kill every process it started, as `Process.end` does.
    OSError (or ValueError, for a NUL byte) when it cannot start."""
    process_tree.become_subreaper()
    group = process_tree.Group.new()
    program = _program(argv[0], env) if argv else None
    try:
        popen = _popen(argv, program, cwd, group.env(env))
    except OSError:
        if program is None:
            raise
        _found.clear()  # the program moved: look it up as if never found
        popen = _popen(argv, None, cwd, group.env(env))
    group = group.started(popen.pid)
    assert popen.stdin and popen.stdout and popen.stderr
    started = time.monotonic()
    pipes = _Pipes(popen, stdin.encode(), sink)
    exit_fd = _pidfd(popen.pid)
    if exit_fd is not None:
        pipes.poller.register(exit_fd, select.POLLIN)
    timed_out = stopped = False
    next_check = started + check_every_s
    try:
        while True:
            now = time.monotonic()
            wait_s = next_check - now
            if timeout is not None:
                wait_s = min(wait_s, started + timeout - now)
            if exit_fd is None:
                wait_s = min(wait_s, 0.01)  # no pidfd (not Linux): look every 10 ms
            exited = pipes.serve(max(0.0, wait_s), exit_fd)
            if exited or (exit_fd is None and popen.poll() is not None):
                break
            now = time.monotonic()
            if timeout is not None and now - started > timeout:
                timed_out = True
                break
            if now >= next_check:
                next_check = now + check_every_s
                if should_stop():
                    stopped = True
                    break
        if exit_fd is not None:
            pipes.poller.unregister(exit_fd)
        process_tree.kill_group(group, leader_exited=exited)  # daemons included
        popen.wait()
        pipes.drain(time.monotonic() + drain_s)
    finally:
        process_tree.forget(group)
        if exit_fd is not None:
            os.close(exit_fd)
        pipes.close()
    return Ended(popen.returncode, timed_out, stopped)


_found: dict[tuple[str, str], tuple[str, float]] = {}  # (name, PATH) -> (program, when)
FOUND_FOR_S = 1.0


def _program(name: str, env: Mapping[str, str]) -> str | None:
    """Where PATH finds the command `name`, found at most once a second: Popen would join
    and encode every PATH entry for each datum. None (Popen looks it up) for a path, or where
    PATH has a relative entry (its meaning depends on the working directory)."""
    if "/" in name or not name:
        return None
    path = env.get("PATH", os.defpath)
    now = time.monotonic()
    known = _found.get((name, path))
    if known is not None and now - known[1] < FOUND_FOR_S:
        return known[0]
    if not all(os.path.isabs(entry) for entry in path.split(os.pathsep)):
        return None
    program = shutil.which(name, path=path)
    if program is not None:
        _found[(name, path)] = (program, now)
    return program


def _popen(
    argv: Sequence[str], program: str | None, cwd: str, env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(argv),
        executable=program,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when the process exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class _Pipes:
    """A process's stdin fed and its stdout and stderr split into lines, from one thread."""

    def __init__(self, popen: subprocess.Popen[bytes], data: bytes, sink: LineSink) -> None:
        assert popen.stdin and popen.stdout and popen.stderr
        self.sink = sink
        self.poller = select.poll()
        self.names: dict[int, str] = {}
        self.buffers: dict[int, bytearray] = {}
        self.files = [popen.stdin, popen.stdout, popen.stderr]
        for stream, name in ((popen.stdout, "stdout"), (popen.stderr, "stderr")):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self.names[fd] = name
            self.buffers[fd] = bytearray()
            self.poller.register(fd, select.POLLIN)
        self.stdin_fd: int | None = popen.stdin.fileno()
        self.pending = memoryview(data)
        if data:
            os.set_blocking(self.stdin_fd, False)
            self.poller.register(self.stdin_fd, select.POLLOUT)
        else:
            self._close_stdin()

    def serve(self, wait_s: float, exit_fd: int | None) -> bool:
        """Serve the pipes for up to `wait_s` seconds; True once the process has exited."""
        exited = False
        for fd, events in self.poller.poll(int(wait_s * 1000) + 1 if wait_s else 0):
            if fd == exit_fd:
                exited = True
            elif fd == self.stdin_fd:
                self._feed(events)
            elif fd in self.names:
                self._read(fd)
        return exited

    def drain(self, deadline: float) -> None:
        """Everything left in stdout and stderr, until both close or the deadline passes."""
        while self.names and time.monotonic() < deadline:
            self.serve(min(0.1, deadline - time.monotonic()), None)
        for fd in list(self.names):
            self._flush(fd, final=True)

    def close(self) -> None:
        for stream in self.files:
            with contextlib.suppress(OSError):
                stream.close()

    def _feed(self, events: int) -> None:
        assert self.stdin_fd is not None
        if events & (select.POLLERR | select.POLLHUP):
            self._close_stdin()  # the command does not read stdin: Pachyderm ignores that too
            return
        try:
            written = os.write(self.stdin_fd, self.pending[:65536])
        except BlockingIOError:
            return
        except OSError:
            self._close_stdin()
            return
        self.pending = self.pending[written:]
        if not self.pending:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.stdin_fd is not None:
            with contextlib.suppress(KeyError):
                self.poller.unregister(self.stdin_fd)
            self.stdin_fd = None
        with contextlib.suppress(OSError):  # a broken pipe: the command does not read stdin
            self.files[0].close()

    def _read(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return
            data = b""
        if data:
            self.buffers[fd] += data
            self._flush(fd, final=False)
            return
        self.poller.unregister(fd)
        self._flush(fd, final=True)
        del self.names[fd]

    def _flush(self, fd: int, *, final: bool) -> None:
        """Whole lines (and, at the end, the rest) to the sink, as `pump` splits them: each
        piece at most LINE_BYTES, its newline included."""
        buf = self.buffers[fd]
        name = self.names[fd]
        start = 0
        while True:
            end = buf.find(b"\n", start, start + LINE_BYTES)
            if end >= 0:
                end += 1
            elif len(buf) - start >= LINE_BYTES:
                end = start + LINE_BYTES
            elif final and start < len(buf):
                end = len(buf)
            else:
                break
            self.sink(name, buf[start:end].decode(errors="replace").rstrip("\n"))
            start = end
        del buf[:start]


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
