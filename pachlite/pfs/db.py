"""The one SQLite connection wrapper: WAL, migrations, and `atomic()` (nested via savepoints).

Writers start with BEGIN IMMEDIATE so two processes never deadlock upgrading a read lock, and
the busy timeout makes a second writer wait instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pachlite.errors import PachliteError
from pachlite.pfs.migrations import MIGRATIONS

BUSY_TIMEOUT_S = 120.0

Row = sqlite3.Row


class Database:
    def __init__(self, path: Path | str, *, durable: bool = False) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a process crash never loses a committed transaction; FULL adds power-loss
        # durability at an fsync per transaction.
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction; nested calls become savepoints that roll back on their own."""
        with self._lock:
            depth = self._depth
            if depth == 0:
                self._begin_immediate()
            else:
                self._conn.execute(f"SAVEPOINT sp{depth}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sp{depth}")
                    self._conn.execute(f"RELEASE sp{depth}")
                raise
            else:
                self._depth -= 1
                if depth == 0:
                    self._conn.execute("COMMIT")
                else:
                    self._conn.execute(f"RELEASE sp{depth}")

    def _begin_immediate(self) -> None:
        # sqlite3's own timeout covers most waits; this loop covers the rare SQLITE_BUSY that
        # BEGIN IMMEDIATE can return at once when another writer is checkpointing the WAL.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise PachliteError(
                        f"the store at {self.path} stayed locked for {BUSY_TIMEOUT_S:.0f}s",
                        "another pachlite process holds it; wait for it or stop it",
                    ) from None
                time.sleep(0.05)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in the same transaction as its record."""
        applied: list[str] = []
        with self.atomic():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL)"
            )
            done = {row[0] for row in self._conn.execute("SELECT name FROM migrations")}
        for name, script in MIGRATIONS:
            if name in done:
                continue
            with self.atomic():
                if self.one("SELECT 1 FROM migrations WHERE name = ?", (name,)):
                    continue  # another process got there first
                for statement in _statements(script):
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO migrations (name, applied) VALUES (?, ?)", (name, time.time())
                )
                applied.append(name)
        return applied


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction, so statements run one by one.
    return [s.strip() for s in script.split(";") if s.strip()]
