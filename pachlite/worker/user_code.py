"""Running user code the way a Pachyderm worker does (docs/semantics.md §3.1, §3.2).

The command is an argv list, never a shell string (unless the argv is a shell). It runs in its
own session (`process`); when it exits or times out, every process it started is killed,
daemons that left the session included (`process_tree`). Output is read at most `LINE_BYTES`
at a time, so a line without end never fills memory. Every absolute `/pfs` path in cmd, stdin
and env is rewritten to the datum's scratch `pfs/` directory: that is the one difference
between pachlite and a real worker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pachlite.worker import process

# "/pfs" where a path starts: at the start, or after a space, quote, '=', ':', ',' or bracket.
_PFS = re.compile(r"(?:^|(?<=[\s'\"=:,(\[]))/pfs(?=/|$|[\s'\",)\]])")

LogSink = process.LineSink


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
    try:
        ended = process.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=stdin,
            sink=log,
            timeout=timeout,
            should_stop=should_stop,
        )  # everything the command left behind is killed, daemons included
    except OSError as exc:
        log("stderr", f"pachlite: cannot start {argv[0]!r}: {exc.strerror}")
        return Outcome(127, False, False, time.monotonic() - started)
    killed = ended.timed_out or ended.stopped
    return Outcome(
        None if killed else ended.code, ended.timed_out, ended.stopped, time.monotonic() - started
    )
