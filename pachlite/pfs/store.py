"""The data root: metadata database, object store and tree reader, opened together."""

from __future__ import annotations

import os
from pathlib import Path

from pachlite.errors import StoreCorrupt
from pachlite.pfs.db import Database
from pachlite.pfs.objects import ObjectStore
from pachlite.pfs.tree import EMPTY_BODY, EMPTY_TREE, Node, TreeReader, decode

DEFAULT_ROOT = ".pachlite"
ROOT_ENV = "PACHLITE_ROOT"
FSYNC_ENV = "PACHLITE_FSYNC"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """`root` if given, else $PACHLITE_ROOT, else .pachlite/ in the current directory."""
    chosen = root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT
    return Path(chosen).absolute()


class Store:
    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = resolve_root(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # Default: nothing is lost when a process dies at any moment. PACHLITE_FSYNC=1 also
        # survives power loss, at the cost of an fsync per object and transaction.
        durable = os.environ.get(FSYNC_ENV, "") not in ("", "0")
        self.db = Database(self.root / "meta.sqlite", durable=durable)
        self.objects = ObjectStore(self.root, durable=durable)
        self.trees = TreeReader(self._load_tree)
        self.save_tree(EMPTY_TREE, EMPTY_BODY, 0)

    def close(self) -> None:
        self.db.close()

    def _load_tree(self, digest: str) -> Node:
        row = self.db.one("SELECT body FROM trees WHERE hash = ?", (digest,))
        if row is None:
            raise StoreCorrupt(
                f"directory node {digest[:12]} is missing", "run `pachlite fsck` for details"
            )
        return decode(row["body"])

    def save_tree(self, digest: str, body: str, size: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO trees (hash, body, size) VALUES (?, ?, ?)", (digest, body, size)
        )

    def tree_size(self, digest: str) -> int:
        return int(self.db.scalar("SELECT size FROM trees WHERE hash = ?", (digest,)) or 0)
