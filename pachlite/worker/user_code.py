"""Running user code the way a Pachyderm worker does (reference §3.1, §3.2).

The command is an argv list, never a shell string (unless the argv is a shell). It runs in its
own session; when it exits or times out, every process it started is killed, daemons that
left the session included (`process_tree`). Output is read at most `LINE_BYTES` at a time, so
a line without end never fills memory. Every absolute `/pfs` path in cmd, stdin and env is
rewritten to the datum's scratch `pfs/` directory: that is the one difference between pachlite
and a real worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pachlite.worker import process_tree
from pachlite.worker.datum_log import LINE_BYTES

# "/pfs" where a path starts: at the start, or after a space, quote, '=', ':', ',' or bracket.
_PFS = re.compile(r"(?:^|(?<=[\s'\"=:,(\[]))/pfs(?=/|$|[\s'\",)\]])")

LogSink = Callable[[str, str], None]  # (stream, line)


def rewrite_pfs(text: str, scratch_pfs: str) -> str:
    return _PFS.sub(lambda _: scratch_pfs, text)


@dataclass(frozen=True)
class Outcome:
    code: int | None  # None when killed for a timeout or a stop
    timed_out: bool
    stopped: bool
    seconds: float

    def ok(self, accepted: Sequence[int] = ()) -> bool:
        return self.code is not None and (self.code == 0 or self.code in accepted)

    def describe(self) -> str:
        if self.timed_out:
            return f"timed out after {self.seconds:.1f}s"
        if self.stopped:
            return "stopped"
        if self.code is not None and self.code < 0:
            return f"killed by signal {-self.code}"
        return f"exited with code {self.code}"


def run(
    argv: Sequence[str],
    *,
    stdin: str,
    env: Mapping[str, str],
    cwd: str,
    timeout: float | None,
    log: LogSink,
    should_stop: Callable[[], bool] = lambda: False,
) -> Outcome:
    """Run argv to completion; stdout and stderr go to `log` line by line."""
    started = time.monotonic()
    process_tree.become_subreaper()
    group = process_tree.Group.new()
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=group.env(dict(env)),
            start_new_session=True,  # its own session, so we can kill what it starts
        )
    except OSError as exc:
        log("stderr", f"pachlite: cannot start {argv[0]!r}: {exc.strerror}")
        return Outcome(127, False, False, time.monotonic() - started)
    group = group.started(proc.pid)
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, "stdout", log), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, "stderr", log), daemon=True),
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = stopped = False
    while True:
        try:
            proc.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if timeout is not None and time.monotonic() - started > timeout:
                timed_out = True
            elif should_stop():
                stopped = True
            else:
                continue
            _kill_group(proc.pid)
            proc.wait()
            break
    process_tree.kill_group(group)  # everything the command left behind, daemons included
    for reader in readers:
        reader.join(timeout=5)
    code = None if timed_out or stopped else proc.returncode
    return Outcome(code, timed_out, stopped, time.monotonic() - started)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _pump(stream: object, name: str, log: LogSink) -> None:
    assert hasattr(stream, "readline")
    for raw in iter(lambda: stream.readline(LINE_BYTES), b""):
        log(name, raw.decode(errors="replace").rstrip("\n"))
    stream.close()  # type: ignore[attr-defined]


def _feed(stream: object, data: str) -> None:
    assert hasattr(stream, "write")
    try:
        if data:
            stream.write(data.encode())
        stream.close()  # type: ignore[attr-defined]
    except (BrokenPipeError, OSError):
        pass  # the command does not read stdin: Pachyderm ignores broken pipes too
