"""A store as one digest, to show that a command changed nothing in it."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path


def snapshot(root: Path) -> str:
    """Every metadata row and every stored object, as one digest."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(f"file:{root / 'meta.sqlite'}?mode=ro", uri=True)) as db:
        for line in db.iterdump():
            digest.update(line.encode())
    for path in sorted((root / "objects").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
    return digest.hexdigest()
