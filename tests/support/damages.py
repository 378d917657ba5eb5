# ruff: noqa: E501  (the catalogue is a table: one case per line reads better than wrapped)
"""The damaged-store catalogue as data: real damage to `meta.sqlite` and to objects, and the
`pachlite` command that meets each, with its exit code and what it must say.

tests/reliability/test_damaged_stores.py runs every case; bench/reliability.py counts them
for docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def checkpoint(meta: Path) -> None:
    """Everything in the main file (no WAL), as after every pachlite command exits."""
    with sqlite3.connect(meta) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def garbage(root: Path) -> None:
    meta = root / "meta.sqlite"
    meta.write_bytes(os.urandom(meta.stat().st_size))


def truncated(root: Path) -> None:
    meta = root / "meta.sqlite"
    checkpoint(meta)
    os.truncate(meta, meta.stat().st_size // 2)


def bad_page(root: Path) -> None:
    """One page overwritten, as a bad sector would: the one holding the repos table (a bad
    page elsewhere is met by whatever reads it, and by fsck)."""
    meta = root / "meta.sqlite"
    checkpoint(meta)
    with sqlite3.connect(meta) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'repos'").fetchone()[0]
    db.close()
    with open(meta, "r+b") as handle:
        handle.seek(page_size * (page - 1))
        handle.write(os.urandom(page_size))


def emptied(root: Path) -> None:
    (root / "meta.sqlite").write_bytes(b"")


def deleted(root: Path) -> None:
    (root / "meta.sqlite").unlink()


def flipped_object(root: Path) -> None:
    path = object_path(root, b"alpha")
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))


def missing_object(root: Path) -> None:
    object_path(root, b"alpha").unlink()


def object_path(root: Path, content: bytes) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    return root / "objects" / digest[:2] / digest[2:]


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage": garbage,
    "truncated": truncated,
    "bad-page": bad_page,
    "emptied": emptied,
    "deleted": deleted,
    "flipped-object": flipped_object,
    "missing-object": missing_object,
}


@dataclass(frozen=True)
class Damaged:
    id: str
    damage: str  # a key of DAMAGE
    args: tuple[str, ...]
    code: int
    says: str  # on stderr, or on stdout for fsck (which reports, one problem a line)


LIST = ("list", "repo")
GET = ("get", "file", "data@master:/a.txt")
FSCK = ("fsck",)
# fmt: off
DAMAGES = [
    Damaged("garbage-list", "garbage", LIST, 8, "meta.sqlite is damaged (file is not a database)"),
    Damaged("garbage-get", "garbage", GET, 8, "pachlite restore BACKUP"),
    Damaged("garbage-fsck", "garbage", FSCK, 8, "problem: database: the store's metadata"),
    Damaged("truncated-list", "truncated", LIST, 8, "is damaged (database disk image is malformed)"),
    Damaged("truncated-get", "truncated", GET, 8, "is damaged"),
    Damaged("truncated-fsck", "truncated", FSCK, 8, "problem: database:"),
    Damaged("bad-page-list", "bad-page", LIST, 8, "is damaged"),
    Damaged("bad-page-get", "bad-page", GET, 8, "is damaged"),
    Damaged("bad-page-fsck", "bad-page", FSCK, 8, "problem: database:"),
    Damaged("emptied-list", "emptied", LIST, 8, "meta.sqlite is empty, but"),
    Damaged("emptied-get", "emptied", GET, 8, "will not start an empty store over it"),
    Damaged("emptied-fsck", "emptied", FSCK, 8, "problem: database:"),
    Damaged("deleted-list", "deleted", LIST, 8, "meta.sqlite is missing, but"),
    Damaged("deleted-put", "deleted", ("create", "repo", "fresh"), 8, "will not start an empty store over it"),
    Damaged("deleted-fsck", "deleted", FSCK, 8, "problem: database:"),
    Damaged("flipped-object-get", "flipped-object", GET, 8, "does not match its hash"),
    Damaged("flipped-object-fsck", "flipped-object", FSCK, 8, "does not match its hash (corrupt)"),
    Damaged("missing-object-get", "missing-object", GET, 8, "is missing"),
    Damaged("missing-object-fsck", "missing-object", FSCK, 8, "is missing"),
]
# fmt: on
