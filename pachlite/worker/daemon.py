"""Is a `pachlite up` running on this root, and where does it serve Pachyderm's API?

`up` holds `up.lock` while it runs (worker/up.py) and, once its API listens, writes
`daemon.json` beside it: its pid and the address it bound (its version is asked over the
API, as `pachctl version` asks pachd's). The lock says whether
it runs (the kernel drops it when the process dies, even by SIGKILL); the file only says
where, so a file a killed daemon left behind is never believed on its own.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pachlite.lazyclass import dataclass
from pachlite.worker.locks import UP_LOCK

DAEMON_FILE = "daemon.json"


@dataclass(frozen=True)
class Daemon:
    """A running `pachlite up`: its pid, and the address of its API (None: it serves none,
    e.g. pachyderm-sdk is not installed)."""

    pid: int
    address: str | None


def running(root: Path) -> Daemon | None:
    """The `pachlite up` running on `root`, if one is."""
    try:
        fd = os.open(root / UP_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            # A shared lock is refused only while `up` holds its exclusive one. up_lock
            # retries for a moment, so this probe never makes a starting `up` fail.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid_text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
    finally:
        os.close(fd)
    published = _read_published(root)
    pid = int(pid_text) if pid_text.isdigit() else 0
    if published.get("pid") != pid:
        published = {}  # left by an earlier daemon, or not written yet
    address = published.get("address")
    return Daemon(pid=pid, address=address if isinstance(address, str) else None)


def _read_published(root: Path) -> dict[str, object]:
    try:
        found = json.loads((root / DAEMON_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


@contextmanager
def published(root: Path, address: str | None) -> Iterator[None]:
    """Say where this daemon serves while the block runs (written whole, by rename)."""
    path = root / DAEMON_FILE
    temp = path.with_name(f".{DAEMON_FILE}.{os.getpid()}")
    temp.write_text(json.dumps({"pid": os.getpid(), "address": address}))
    os.replace(temp, path)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
