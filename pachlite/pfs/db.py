"""The one SQLite connection wrapper: WAL, migrations, and `atomic()` (nested via savepoints).

Writers start with BEGIN IMMEDIATE so two processes never deadlock upgrading a read lock, and
the busy timeout makes a second writer wait instead of failing with "database is locked".

Opening writes nothing unless a migration is pending, so a store on a read-only mount opens
(`read_only=True`) and serves every read. SQLite's failures that mean something to people (a
damaged file, a full disk, a read-only store) leave here as `pachlite.errors`, never as
`sqlite3` exceptions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from pachlite.errors import DiskFull, PachliteError, StoreCorrupt, StoreNotWritable
from pachlite.pfs.migrations import MIGRATIONS

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from typing import Any, NoReturn

BUSY_TIMEOUT_S = 120.0
RECOVERY_HINT = (
    "restore it from a backup with `pachlite restore BACKUP` "
    "(README: Recovering a damaged store); `pachlite fsck` lists what it can still read"
)

Row = sqlite3.Row

# SQLite's primary result codes (https://www.sqlite.org/rescode.html).
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


def translate(exc: sqlite3.Error, path: str) -> PachliteError | None:
    """The pachlite error an SQLite failure means, or None for a bug (re-raised as is)."""
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorrupt(f"the store's metadata {path} is damaged ({exc})", RECOVERY_HINT)
    if code == SQLITE_FULL or (code == SQLITE_IOERR and _no_space_left(path)):
        # A full disk also shows as an I/O error growing the WAL index (SQLITE_IOERR_SHMSIZE).
        return DiskFull(
            f"no space left on the disk holding {path}",
            "free some space and run the command again; nothing was changed",
        )
    if code == SQLITE_READONLY:
        return StoreNotWritable(
            f"the store {Path(path).parent} is read-only",
            "reads work; to change it, use a writable copy of the store",
        )
    if code == SQLITE_CANTOPEN:
        return StoreNotWritable(
            f"cannot open the store's metadata {path} ({exc})",
            "check that the directory exists and that you may read and write it",
        )
    if code == SQLITE_IOERR:
        return PachliteError(
            f"the disk failed while reading or writing {path} ({exc})",
            "check the disk (dmesg), then run `pachlite fsck`",
        )
    return None


def _no_space_left(path: str) -> bool:
    try:
        return os.statvfs(os.path.dirname(path) or ".").f_bavail == 0
    except OSError:
        return False


def _raise(exc: sqlite3.Error, path: str) -> NoReturn:
    error = translate(exc, path)
    if error is None:
        raise exc
    raise error from exc


class Database:
    def __init__(
        self,
        path: Path | str,
        *,
        durable: bool = False,
        read_only: bool = False,
        migrate: bool = True,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._conn = _connect(self.path, read_only)
            self._conn.row_factory = sqlite3.Row
            if not read_only and not self.is_blank():
                self._use_wal()  # a blank file gets WAL with its first migration
            # NORMAL: a process crash never loses a committed transaction; FULL adds power-loss
            # durability at an fsync per transaction.
            self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            _raise(exc, self.path)
        if migrate:
            self.migrate()

    def close(self) -> None:
        self._conn.close()

    def _use_wal(self) -> None:
        if self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._conn.execute("PRAGMA journal_mode=WAL")

    def backup_to(self, target: sqlite3.Connection) -> None:
        """Copy a consistent snapshot into `target` (SQLite's online backup API: other
        connections keep reading and writing meanwhile)."""
        with self._lock:
            try:
                self._conn.backup(target, pages=1024)
            except sqlite3.Error as exc:
                _raise(exc, self.path)

    def is_blank(self) -> bool:
        """No schema at all: a new (or emptied) database file."""
        return not self.scalar("SELECT count(*) FROM sqlite_master")

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction; nested calls become savepoints that roll back on their own."""
        with self._lock:
            depth = self._depth
            if depth == 0:
                self._begin_immediate()
            else:
                self._run(f"SAVEPOINT sp{depth}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                with suppress(sqlite3.Error):  # the error that got us here is the one to see
                    self._undo(depth)
                raise
            self._depth -= 1
            if depth == 0:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    with suppress(sqlite3.Error):
                        self._undo(0)
                    _raise(exc, self.path)
            else:
                self._run(f"RELEASE sp{depth}")

    def _undo(self, depth: int) -> None:
        # SQLite rolls a transaction back by itself after some errors (a full disk, I/O):
        # rolling back again would fail and hide the error that matters.
        if not self._conn.in_transaction:
            return
        if depth == 0:
            self._conn.execute("ROLLBACK")
        else:
            self._conn.execute(f"ROLLBACK TO sp{depth}")
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
                    _raise(exc, self.path)
                if time.monotonic() > deadline:
                    raise PachliteError(
                        f"the store at {self.path} stayed locked for {BUSY_TIMEOUT_S:.0f}s",
                        "another pachlite process holds it; wait for it or stop it",
                    ) from None
                time.sleep(0.05)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            _raise(exc, self.path)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._run(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            try:
                self._conn.executemany(sql, rows)
            except sqlite3.Error as exc:
                _raise(exc, self.path)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                _raise(exc, self.path)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            try:
                row: Row | None = self._conn.execute(sql, params).fetchone()
            except sqlite3.Error as exc:
                _raise(exc, self.path)
            return row

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def pending_migrations(self) -> list[str]:
        """Names of the migrations this database has not had yet (a read, nothing written)."""
        exists = self.one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        )
        done = {row[0] for row in self.all("SELECT name FROM migrations")} if exists else set()
        return [name for name, _ in MIGRATIONS if name not in done]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in the same transaction as its record. Nothing is
        written (not even a lock taken) when none is pending."""
        pending = self.pending_migrations()
        if not pending:
            return []
        if self.read_only:
            raise StoreNotWritable(
                f"the store {Path(self.path).parent} needs {len(pending)} schema migration(s) "
                "and is read-only",
                "open it once where it is writable (any pachlite command migrates it)",
            )
        applied: list[str] = []
        try:
            self._use_wal()
        except sqlite3.Error as exc:
            _raise(exc, self.path)
        with self.atomic():
            self._run("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL)")
        for name, script in MIGRATIONS:
            if name not in pending:
                continue
            with self.atomic():
                if self.one("SELECT 1 FROM migrations WHERE name = ?", (name,)):
                    continue  # another process got there first
                for statement in _statements(script):
                    self._run(statement)
                self._run(
                    "INSERT INTO migrations (name, applied) VALUES (?, ?)", (name, time.time())
                )
                applied.append(name)
        return applied


def _connect(path: str, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    uri = "file:" + urllib.parse.quote(path)
    conn = sqlite3.connect(
        uri + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
        check_same_thread=False,
    )  # fmt: skip
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (
            SQLITE_CANTOPEN,
            SQLITE_READONLY,
        ):
            conn.close()
            raise
    conn.close()
    # A WAL database cannot be opened read-only without its -shm file, which a read-only
    # mount or directory cannot hold (SQLITE_CANTOPEN, SQLITE_READONLY_CANTINIT): nobody can
    # write it through this path, so read it as immutable.
    return sqlite3.connect(
        uri + "?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
    )


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction, so statements run one by one.
    return [s.strip() for s in script.split(";") if s.strip()]
