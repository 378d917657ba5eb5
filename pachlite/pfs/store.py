"""The data root: metadata database, object store and tree reader, opened together.

Opening writes nothing to an existing store (so a read-only store serves every read), refuses
a root that cannot be created with one line, and refuses to start an empty store over objects
whose metadata is missing or emptied: that is a store that lost its `meta.sqlite`, and
re-initialising it would hide every commit.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pachlite.errors import DiskFull, StoreCorrupt, StoreNotWritable, from_os_error
from pachlite.pfs.localfs import makedirs

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

# The database (sqlite3) and object store load when a store opens, not with this module (the
# CLI reads the constants below for `--help` and `--version`); the tree codec (json, hashlib)
# loads when something first reads a tree (`Store.trees`).
if TYPE_CHECKING:
    from pachlite.pfs.nodes import Index, Node
    from pachlite.pfs.tree import TreeReader

DEFAULT_ROOT = ".pachlite"
ROOT_ENV = "PACHLITE_ROOT"
FSYNC_ENV = "PACHLITE_FSYNC"
META = "meta.sqlite"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """`root` if given, else $PACHLITE_ROOT, else .pachlite/ in the current directory."""
    chosen = root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT
    return Path(chosen).absolute()


class Store:
    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        from pachlite.pfs.db import Database
        from pachlite.pfs.objects import ObjectStore

        self.root = resolve_root(root)
        create_root(self.root)
        self.read_only = not writable(self.root)
        # Default: nothing is lost when a process dies at any moment. PACHLITE_FSYNC=1 also
        # survives power loss, at the cost of an fsync per object and transaction.
        durable = os.environ.get(FSYNC_ENV, "") not in ("", "0")
        meta = self.root / META
        if not meta.exists():
            refuse_lost_metadata(self.root, "is missing")
        self.db = Database(meta, durable=durable, read_only=self.read_only, migrate=False)
        try:
            if self.db.is_blank():
                refuse_lost_metadata(self.root, "is empty")
            self.db.migrate()
            self.objects = ObjectStore(self.root, durable=durable, read_only=self.read_only)
        except BaseException:
            self.db.close()
            raise
        # Directory nodes built but not stored: a read-only store settling an open commit's
        # staged puts (pachlite.pfs.staged) keeps them here for as long as it is open.
        self._unsaved: dict[str, tuple[str, int]] = {}
        self.settled_in_memory: dict[tuple[int, int], str] = {}  # (commit, staged bytes)

    @cached_property
    def trees(self) -> TreeReader:
        """Queries over trees; made (and the tree codec, json and hashlib loaded) on first use:
        `list repo`, `list commit` and `inspect commit` read no tree."""
        from pachlite.pfs.tree import TreeReader

        return TreeReader(self._load_tree)

    def close(self) -> None:
        self.db.close()

    def require_writable(self) -> None:
        """Refuse a change before any byte of it is written."""
        self.objects.require_writable()

    def _load_tree(self, digest: str) -> Node | Index:
        from pachlite.pfs.nodes import parse

        unsaved = self._unsaved.get(digest)
        if unsaved is not None:
            return parse(unsaved[0])
        row = self.db.one("SELECT body FROM trees WHERE hash = ?", (digest,))
        if row is None:
            raise StoreCorrupt(
                f"directory node {digest[:12]} is missing", "run `pachlite fsck` for details"
            )
        return parse(row["body"])

    def save_tree(self, digest: str, body: str, size: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO trees (hash, body, size) VALUES (?, ?, ?)", (digest, body, size)
        )

    def remember_tree(self, digest: str, body: str, size: int) -> None:
        """Keep a directory node in memory only (`save_tree` on a store that cannot write)."""
        self._unsaved[digest] = (body, size)

    def tree_size(self, digest: str) -> int:
        unsaved = self._unsaved.get(digest)
        if unsaved is not None:
            return unsaved[1]
        return int(self.db.scalar("SELECT size FROM trees WHERE hash = ?", (digest,)) or 0)


def create_root(root: Path) -> None:
    """The root directory, created if missing; one line naming it if it cannot be."""
    if root.is_dir():
        return
    try:
        makedirs(root)
    except OSError as exc:
        error = from_os_error(exc, f"creating the store at {root}")
        if isinstance(error, DiskFull):
            raise error from None
        raise StoreNotWritable(
            f"cannot create the store at {root}: {exc.strerror or exc}",
            "choose another place with --root or PACHLITE_ROOT",
        ) from None


def writable(root: Path) -> bool:
    """Whether this process may write the store (a read-only mount, a read-only `meta.sqlite`
    or a directory without write permission all say no)."""
    try:
        if os.statvfs(root).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    meta = root / META
    if meta.exists() and not os.access(meta, os.W_OK):
        return False
    return os.access(root, os.W_OK | os.X_OK)


def has_objects(root: Path) -> bool:
    objects = root / "objects"
    if not objects.is_dir():
        return False
    for sub in os.scandir(objects):
        if sub.is_dir() and any(True for _ in os.scandir(sub.path)):
            return True
    return False


def refuse_lost_metadata(root: Path, state: str) -> None:
    """A store holding objects must have its metadata: never start a new one over them."""
    from pachlite.pfs.db import RECOVERY_HINT

    if has_objects(root):
        raise StoreCorrupt(
            f"{root / META} {state}, but {root / 'objects'} holds data: the store lost its "
            "metadata, and pachlite will not start an empty store over it",
            RECOVERY_HINT,
        )
