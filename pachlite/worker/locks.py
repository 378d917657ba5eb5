"""The data root's two process locks, as flocks the kernel drops when their process dies:
`scheduler.lock` (one process runs jobs at a time) and `up.lock` (one `pachlite up`)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pachlite.errors import Conflict

SCHEDULER_LOCK = "scheduler.lock"
UP_LOCK = "up.lock"


@contextmanager
def nobody_running(root: Path) -> Iterator[None]:
    """Hold both locks for a maintenance step (restore): refused while jobs or `up` run."""
    with ExitStack() as held:
        for name, what in ((UP_LOCK, "`pachlite up`"), (SCHEDULER_LOCK, "a job runner")):
            path = root / name
            if not path.exists():
                continue
            fd = os.open(path, os.O_RDWR)
            held.callback(os.close, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict(
                    f"{what} is running on {root}", "stop it first, then run the command again"
                ) from None
        yield
