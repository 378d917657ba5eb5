"""`pachlite backup` and `pachlite restore`: copies of the metadata by SQLite's online backup API.

The metadata (`meta.sqlite`) is the part of a store that a damaged disk sector or an
interrupted copy can make unreadable. Objects are immutable, content-addressed and never
deleted by pachlite, so a copy of the metadata taken at any moment, plus the store's own
`objects/`, restores every commit that existed then. A backup is taken while other processes
keep working (the backup API copies a consistent snapshot), checked, and written under a
temporary name first; a restore checks the backup, sets the current metadata aside (it is
never deleted) and puts the backup in its place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from pachlite.errors import AlreadyExists, Conflict, InvalidArgument, PachliteError, StoreCorrupt
from pachlite.model import BackupInfo
from pachlite.pfs.db import Database, translate
from pachlite.pfs.migrations import MIGRATIONS
from pachlite.pfs.nodes import Index, parse
from pachlite.pfs.objects import ObjectStore
from pachlite.pfs.store import META, Store, create_root


def backup(store: Store, destination: Path) -> BackupInfo:
    """Write a consistent copy of the store's metadata to a new file `destination`."""
    if destination.exists():
        raise AlreadyExists(f"{destination} already exists", "give a new file name")
    if not destination.parent.is_dir():
        raise InvalidArgument(f"{destination.parent} is not a directory", "create it first")
    tmp = destination.with_name(f".{destination.name}.pachlite-tmp")
    tmp.unlink(missing_ok=True)
    try:
        copy = sqlite3.connect(tmp, isolation_level=None)
        try:
            store.db.backup_to(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problems = [r[0] for r in copy.execute("PRAGMA integrity_check") if r[0] != "ok"]
        finally:
            copy.close()
        if problems:
            raise StoreCorrupt(
                f"the store's metadata is damaged, so the backup would be too: {problems[0]}",
                "run `pachlite fsck`; restore an earlier backup with `pachlite restore`",
            )
        os.replace(tmp, destination)
    except sqlite3.Error as exc:
        raise translate(exc, str(tmp)) or exc from None
    except OSError as exc:
        raise PachliteError(
            f"cannot write the backup {destination}: {exc.strerror or exc}",
            "choose a place with free space that you may write",
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return _describe(destination)


def restore(root: Path, source: Path, *, force: bool = False) -> BackupInfo:
    """Put the backup `source` in place of the metadata of the store at `root`.

    The current metadata is set aside as `meta.sqlite.replaced-<time>` (never deleted).
    Refused when the current metadata is healthy, unless `force`, since that would drop every
    commit made after the backup; refused when objects the backup names are missing from
    `root`, unless `force` (`pachlite fsck` then lists what they affect).
    """
    info = _describe(source)
    missing = _missing_objects(source, ObjectStore(root, read_only=True))
    if missing and not force:
        raise Conflict(
            f"{missing} object(s) named by the backup are missing from {root / 'objects'}",
            "copy objects/ back from where the backup was taken, or pass --force and let "
            "`pachlite fsck` list what they affect",
        )
    healthy = _healthy(root)
    if healthy and not force:
        raise Conflict(
            f"the metadata of {root} is healthy; restoring would drop every commit made since "
            "the backup",
            "pass --force to restore anyway",
        )
    create_root(root)
    meta = root / META
    aside = meta.with_name(f"{META}.replaced-{time.strftime('%Y%m%dT%H%M%S')}")
    tmp = root / f".{META}.restoring"
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(_open_read_only(source)) as backup_db:
            target = sqlite3.connect(tmp, isolation_level=None)
            try:
                backup_db.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()
        for suffix in ("", "-wal", "-shm"):
            current = meta.with_name(META + suffix)
            if current.exists():
                os.replace(current, aside.with_name(aside.name + suffix))
        os.replace(tmp, meta)
    except sqlite3.Error as exc:
        raise translate(exc, str(tmp)) or exc from None
    except OSError as exc:
        raise PachliteError(
            f"cannot restore into {root}: {exc.strerror or exc}", "check free space and rights"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    set_aside = str(aside) if aside.exists() else None
    return BackupInfo(
        str(source), info.repos, info.commits, info.size_bytes, missing, set_aside
    )  # fmt: skip


def _open_read_only(path: Path) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _describe(path: Path) -> BackupInfo:
    """Check a backup file and count what it holds; one line saying why when it is not one."""
    if not path.is_file():
        raise InvalidArgument(f"{path} is not a file", "give the file `pachlite backup` wrote")
    try:
        with contextlib.closing(_open_read_only(path)) as db:
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise InvalidArgument(
                    f"the backup {path} is damaged: {check}", "use another backup"
                )
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if not {"migrations", "repos", "commits", "trees"} <= tables:
                raise InvalidArgument(
                    f"{path} is not a pachlite metadata backup (no pachlite tables in it)",
                    "give the file `pachlite backup` wrote",
                )
            known = {name for name, _ in MIGRATIONS}
            newer = [r[0] for r in db.execute("SELECT name FROM migrations") if r[0] not in known]
            if newer:
                raise InvalidArgument(
                    f"the backup {path} was made by a newer pachlite (migration {newer[0]})",
                    "restore it with that version",
                )
            repos = db.execute("SELECT count(*) FROM repos").fetchone()[0]
            commits = db.execute("SELECT count(*) FROM commits").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise InvalidArgument(
            f"{path} is not a pachlite metadata backup ({exc})",
            "give the file `pachlite backup` wrote",
        ) from None
    return BackupInfo(str(path), int(repos), int(commits), path.stat().st_size)


def _missing_objects(source: Path, objects: ObjectStore) -> int:
    missing: set[str] = set()
    with contextlib.closing(_open_read_only(source)) as db:
        for (body,) in db.execute("SELECT body FROM trees"):
            node = parse(body)
            if isinstance(node, Index):  # its pieces are rows of their own
                continue
            for entry in node.values():
                if not entry.is_dir and not objects.has(entry.hash):
                    missing.add(entry.hash)
        # Puts staged onto open commits name objects too (a backup older than staging has none).
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'staged_puts'").fetchone():
            for (digest,) in db.execute("SELECT DISTINCT hash FROM staged_puts"):
                if not objects.has(digest):
                    missing.add(digest)
    return len(missing)


def _healthy(root: Path) -> bool:
    """Whether the store's current metadata opens and passes SQLite's quick check."""
    if not (root / META).exists():
        return False
    try:
        db = Database(root / META, read_only=True, migrate=False)
    except PachliteError:
        return False
    try:
        return bool(not db.is_blank() and db.scalar("PRAGMA quick_check") == "ok")
    except PachliteError:
        return False
    finally:
        db.close()
