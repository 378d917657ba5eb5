"""A datum's log with a cap: its first 512 KiB and its last 512 KiB are kept, and one line
says how much was cut between them, so a datum that prints 100 MB costs ~1 MiB of memory and
of `meta.sqlite`, and `pachlite logs` still shows how it started and how it ended.

Lines are read from the pipes at most `LINE_BYTES` at a time: a longer line (or output with
no newline at all) is stored in pieces of that size, never read whole into memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

HEAD_BYTES = 512 << 10
TAIL_BYTES = 512 << 10
LINE_BYTES = 16 << 10

LogLine = tuple[str, float, str]  # (stream, time, line)


class DatumLog:
    """Every line user code printed, minus the middle past the cap (thread-safe: stdout and
    stderr are pumped by two threads)."""

    def __init__(
        self,
        on_line: Callable[[str, str], None] | None = None,
        *,
        head_bytes: int = HEAD_BYTES,
        tail_bytes: int = TAIL_BYTES,
    ) -> None:
        self._on_line = on_line
        self._head_room = head_bytes
        self._tail_room = tail_bytes
        self._head: list[LogLine] = []
        self._tail: deque[LogLine] = deque()
        self._head_bytes = 0
        self._tail_bytes = 0
        self.cut_lines = 0
        self.cut_bytes = 0
        self._lock = threading.Lock()

    def add(self, stream: str, line: str) -> None:
        size = len(line) + 1
        entry = (stream, time.time(), line)
        with self._lock:
            if not self._tail and self._head_bytes + size <= self._head_room:
                self._head.append(entry)
                self._head_bytes += size
            else:
                self._tail.append(entry)
                self._tail_bytes += size
                while self._tail_bytes > self._tail_room and self._tail:
                    _, _, dropped = self._tail.popleft()
                    self._tail_bytes -= len(dropped) + 1
                    self.cut_lines += 1
                    self.cut_bytes += len(dropped) + 1
        if self._on_line:
            self._on_line(stream, line)

    def lines(self) -> list[LogLine]:
        """What is stored: the head, a line saying what was cut (if anything), the tail."""
        with self._lock:
            kept = list(self._head)
            if self.cut_lines:
                when = self._tail[0][1] if self._tail else time.time()
                kept.append(("stderr", when, self.cut_note()))
            kept.extend(self._tail)
            return kept

    def cut_note(self) -> str:
        return (
            f"pachlite: {self.cut_bytes:,} bytes ({self.cut_lines:,} lines) of output cut here; "
            f"a datum's log keeps its first {self._head_room >> 10} KiB and its last "
            f"{self._tail_room >> 10} KiB"
        )

    def clear(self) -> None:
        with self._lock:
            self._head.clear()
            self._tail.clear()
            self._head_bytes = self._tail_bytes = 0
