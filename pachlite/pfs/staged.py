"""Puts into an open commit, staged: constant time per put, folded into the tree once.

Rewriting an open commit's Merkle tree on every put costs the size of each directory on the
path, so n puts into one flat directory cost O(n^2). A put into an open commit instead upserts
one row of `staged_puts` (path -> object), checked against the commit's tree and the rows
already staged in O(depth) indexed lookups. The tree is built from the commit's tree plus its
staged puts in one flush ("settling") when the commit is finished, when anything reads it
(`refs` settles every commit record it hands out, so reads of an open commit see every put, as
in Pachyderm), or before a delete or a directory copy edits the tree, which keeps the order
of overwrite, append and delete within a commit the order they were made in.

A row is written in the transaction of its put, after the put's object is stored: a crash
leaves the put or nothing. Settling is one transaction too. `staged_totals` keeps the bytes a
commit's staged puts add to its tree's size, so `inspect commit` stays exact without settling.
"""

from __future__ import annotations

import itertools

from pachlite.errors import Conflict
from pachlite.paths import split
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.store import Store

# The tree codec (json, hashlib) is imported by the functions that build entries or trees:
# `refs` asks `has_staged` of every commit it hands out, and `list commit` builds no tree.
TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from pachlite.pfs.tree import Entry, Listing, TreeEditor


def stage(store: Store, commit: CommitRecord, path: str, entry: Entry, *, append: bool) -> int:
    """Stage a file at a cleaned path (not "/") of an open commit; call inside `atomic()`.
    Returns what the commit's staged puts now add to its tree's size.

    Refuses what writing the tree would refuse: a file in place of a directory, or below a
    file. An append to an existing file stores the joined content as a new object."""
    from pachlite.pfs.tree import FILE, Entry

    base = _base_entry(store, commit, path)
    # The row at `path`, else the first row below it: every path starting "path/" sorts
    # between "path/" and "path0" ('0' follows '/'). A UNION of two index searches, since an
    # OR of the two conditions would scan all of the commit's rows.
    first = store.db.one(
        """SELECT * FROM (
               SELECT path, hash, size FROM staged_puts WHERE commit_row = ? AND path = ?
               UNION ALL SELECT * FROM (
                   SELECT path, hash, size FROM staged_puts
                   WHERE commit_row = ? AND path > ? AND path < ? LIMIT 1))
           LIMIT 1""",
        (commit.id, path, commit.id, path + "/", path + "0"),
    )
    row = first if first is not None and first["path"] == path else None
    if row is None and ((base is not None and base.is_dir) or first is not None):
        raise Conflict(
            f"cannot write file {path}: it is a directory",
            f"delete the directory first (pachlite delete file -r ...:{path})",
        )
    current = Entry(FILE, row["hash"], row["size"]) if row is not None else base
    if append and current is not None:
        digest, size = store.objects.put_chunks(
            itertools.chain(
                store.objects.iter_verified(current.hash), store.objects.iter_verified(entry.hash)
            )
        )
        entry = Entry(FILE, digest, size)
    store.db.execute(
        """INSERT INTO staged_puts (commit_row, path, hash, size) VALUES (?, ?, ?, ?)
           ON CONFLICT (commit_row, path) DO UPDATE SET hash = excluded.hash,
           size = excluded.size""",
        (commit.id, path, entry.hash, entry.size),
    )
    added = entry.size - (current.size if current is not None else 0)
    total = store.db.all(
        """INSERT INTO staged_totals (commit_row, bytes) VALUES (?, ?)
           ON CONFLICT (commit_row) DO UPDATE SET bytes = bytes + excluded.bytes
           RETURNING bytes""",
        (commit.id, added),
    )
    return int(total[0][0])


def _base_entry(store: Store, commit: CommitRecord, path: str) -> Entry | None:
    """The commit tree's entry at `path`; a conflict if an ancestor is a file, staged or not.

    Staged rows hold files only, and any directory a staged file needs was checked free of
    files when it was staged, so an ancestor is a file exactly when the tree or a row says so.
    """
    parts = split(path)
    node: Listing | None = store.trees.node(commit.tree)
    for depth, name in enumerate(parts[:-1]):
        prefix = "/" + "/".join(parts[: depth + 1])
        found = node.get(name) if node is not None else None
        if (found is not None and not found.is_dir) or _staged_file(store, commit, prefix):
            raise Conflict(
                f"cannot write {path}: {prefix} is a file",
                "a path cannot be both a file and a directory; delete or rename the file",
            )
        node = store.trees.node(found.hash) if found is not None else None
    return node.get(parts[-1]) if node is not None else None


def _staged_file(store: Store, commit: CommitRecord, path: str) -> bool:
    return (
        store.db.one(
            "SELECT 1 FROM staged_puts WHERE commit_row = ? AND path = ?", (commit.id, path)
        )
        is not None
    )


def has_staged(store: Store, row_id: int) -> bool:
    return store.db.one("SELECT 1 FROM staged_totals WHERE commit_row = ?", (row_id,)) is not None


def staged_bytes(store: Store, row_id: int) -> int:
    """What the commit's staged puts add to its tree's size."""
    return int(
        store.db.scalar("SELECT bytes FROM staged_totals WHERE commit_row = ?", (row_id,)) or 0
    )


def settle(store: Store, row_id: int) -> str | None:
    """Fold a commit's staged puts into its tree in one flush; the new root, or None when
    nothing was staged. A read-only store builds the tree in memory and leaves the rows."""
    if store.read_only:
        return _settle_in_memory(store, row_id)
    with store.db.atomic():
        staged_tree = _staged_tree(store, row_id)
        if staged_tree is None:
            return None
        root, _ = staged_tree.flush(store.save_tree)
        store.db.execute("UPDATE commits SET tree = ? WHERE id = ?", (root, row_id))
        discard(store, row_id)
        return root


def _settle_in_memory(store: Store, row_id: int) -> str | None:
    key = (row_id, staged_bytes(store, row_id))
    root = store.settled_in_memory.get(key)
    if root is None:
        staged_tree = _staged_tree(store, row_id)
        if staged_tree is None:
            return None
        root = store.settled_in_memory[key] = staged_tree.flush(store.remember_tree)[0]
    return root


def _staged_tree(store: Store, row_id: int) -> TreeEditor | None:
    """The commit's tree with its staged puts placed, not yet flushed; None if none."""
    from pachlite.pfs.tree import FILE, Entry, TreeEditor

    tree = store.db.scalar("SELECT tree FROM commits WHERE id = ?", (row_id,))
    rows = store.db.all("SELECT path, hash, size FROM staged_puts WHERE commit_row = ?", (row_id,))
    if tree is None or not rows:
        return None
    editor = TreeEditor(store.trees, tree)
    for row in rows:
        editor.put(row["path"], Entry(FILE, row["hash"], row["size"]))
    return editor


def discard(store: Store, row_id: int) -> None:
    """Drop a commit's staged puts (its content is being replaced as a whole)."""
    store.db.execute("DELETE FROM staged_puts WHERE commit_row = ?", (row_id,))
    store.db.execute("DELETE FROM staged_totals WHERE commit_row = ?", (row_id,))
