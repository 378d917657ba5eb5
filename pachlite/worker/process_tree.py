"""No process that user code starts outlives its datum, its service or its spout.

The process running user code becomes a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`,
Linux): a daemon that double-forks and calls `setsid` is re-parented to it rather than to
init, so it stays findable among its children. Each piece of user code runs in its own
session with a tag in its environment (`PACHLITE_PROCESS_TAG`) that its descendants inherit.
When the datum ends, `kill_group` SIGKILLs every descendant that shares its session or carries
its tag, whole subtrees at a time, until none is left, and reaps the orphans it adopted.

The one process this cannot find is one that both leaves the session and starts over with an
empty environment (`setsid env -i ...`); a cgroup would, and needs privileges pachlite does not
ask for. Elsewhere than Linux, only the session is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

TAG_ENV = "PACHLITE_PROCESS_TAG"
PR_SET_CHILD_SUBREAPER = 36
ROUNDS = 200  # sweeps before giving up on a process tree that keeps forking
_lock = threading.Lock()
_subreaper: bool | None = None
_running: set[int] = set()  # the sessions of the groups started and not yet killed


def become_subreaper() -> bool:
    """Adopt orphaned descendants from now on (idempotent); False where unsupported."""
    global _subreaper
    with _lock:
        if _subreaper is None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                _subreaper = False
        return _subreaper


@dataclass(frozen=True)
class Group:
    """What one piece of user code starts: its leader's session and its environment tag."""

    tag: str
    session: int = 0  # the leader's pid (it runs with start_new_session), once started

    @staticmethod
    def new() -> Group:
        return Group(uuid.uuid4().hex)

    def env(self, env: Mapping[str, str]) -> dict[str, str]:
        return {**env, TAG_ENV: self.tag}

    def started(self, pid: int) -> Group:
        with _lock:
            _running.add(pid)
        return Group(self.tag, pid)


def forget(group: Group) -> None:
    """The group is gone (killed, or it never ran): its session no longer names a group."""
    with _lock:
        _running.discard(group.session)


def kill_group(group: Group, *, leader_exited: bool = False) -> int:
    """SIGKILL every live process of the group; returns how many were killed.

    The leader (a Popen child) is killed but not reaped: its Popen does that. Once it has
    exited (`leader_exited`) and the engine is a subreaper, every process left of the group
    is the engine's descendant (an orphan is re-parented to it), so the sweep below finds
    them all and the session is not signalled first. A process in the session of another
    group that is still running is that group's (a session is only inherited), so its
    environment is not read.
    """
    try:
        return _kill(group, leader_exited=leader_exited)
    finally:
        forget(group)


def _kill(group: Group, *, leader_exited: bool) -> int:
    if not (leader_exited and _subreaper):
        signal_session(group, signal.SIGKILL)
    killed: set[int] = set()
    for _ in range(ROUNDS):
        alive = []
        dying = False
        with _lock:
            others = _running - {group.session}
        for pid in _children(os.getpid()):
            if pid == group.session:
                continue  # the leader: its Popen waits for it
            state, session = _state_and_session(pid)  # one read of /proc/<pid>/stat
            if state == "Z":
                # An adopted orphan that died: ours to reap once we know it was the group's
                # (a zombie's environment is gone, so the tag no longer says).
                if pid in killed or session == group.session:
                    _reap(pid)
            elif pid in killed:
                # Killed but still exiting: its environment may already be unreadable, so the
                # tag no longer says it is ours. Wait for the zombie and reap it.
                dying = True
            elif group.session and session == group.session:
                alive.append(pid)
            elif session in others:
                continue  # another running group's: it left neither its session nor ours
            elif _tag(pid) == group.tag:
                alive.append(pid)
        if not alive and not dying:
            return len(killed)
        for pid in alive:
            for member in _subtree(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(member, signal.SIGKILL)
                    killed.add(member)
        time.sleep(0.005)  # let the kernel re-parent their children to us
    return len(killed)


def signal_session(group: Group, sig: signal.Signals) -> None:
    """Send `sig` to the leader's session (nothing once none of it is left)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group.session:
            os.killpg(group.session, sig)


def _children(pid: int) -> list[int]:
    """Direct children of a process, from /proc (every thread's list)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found.extend(int(p) for p in _read(f"/proc/{pid}/task/{tid}/children").split())
        except (OSError, ValueError):
            continue
    return found


def _read(path: str) -> bytes:
    """A small /proc file, with two system calls and no Python file object."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, 1 << 16)
        if len(data) < 1 << 16:
            return data
        parts = [data]
        while more := os.read(fd, 1 << 16):
            parts.append(more)
        return b"".join(parts)
    finally:
        os.close(fd)


def _subtree(pid: int) -> list[int]:
    """A process and all its descendants (iterative: trees may be deep)."""
    seen: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        seen.append(current)
        pending.extend(_children(current))
    return seen


def _stat(pid: int) -> list[bytes]:
    try:
        text = _read(f"/proc/{pid}/stat")
    except OSError:
        return []
    return text[text.rfind(b")") + 2 :].split()  # fields after "pid (comm) "


def _state_and_session(pid: int) -> tuple[str, int]:
    """Its state ("Z" once gone) and its session (-1 once gone)."""
    fields = _stat(pid)
    if not fields:
        return "Z", -1
    return fields[0].decode(), int(fields[3]) if len(fields) > 3 else -1


def _tag(pid: int) -> str | None:
    try:
        environ = _read(f"/proc/{pid}/environ")
    except OSError:
        return None
    prefix = TAG_ENV.encode() + b"="
    for item in environ.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode(errors="replace")
    return None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
