"""Commit content as a Merkle tree of directory listings (like git's trees).

A directory node maps names to entries (file or directory, hash, size) and is stored once under
the hash of its encoding, so unchanged subtrees are shared between commits, a commit's content
is one root hash, and a diff only descends where hashes differ. Directories exist only while
they hold something: Pachyderm 2.x has no empty directories (docs/semantics.md §1.6).

Storage is injected (`load`, `save`), so this module is tested without a disk. Every walk is
iterative: a tree thousands of directories deep is as good as any other.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from pachlite.errors import Conflict, StoreCorrupt
from pachlite.paths import join, split
from pachlite.pfs.nodes import (
    DIR,
    FILE,
    SPLIT,
    Entry,
    Index,
    Node,
    Saver,
    SplitEntries,
    SplitNode,
    decode,
    encode,
    node_hash,
    save_index,
    save_split,
)

__all__ = ["DIR", "EMPTY_BODY", "EMPTY_TREE", "FILE", "Entry", "Node", "TreeEditor", "TreeReader"]
__all__ += ["decode", "encode", "node_hash"]

Loader = Callable[[str], "Node | Index"]


EMPTY_BODY = encode({})
EMPTY_TREE = node_hash(EMPTY_BODY)


Listing = Mapping[str, Entry]  # a directory as read: a flat node or a SplitNode


class TreeReader:
    """Read-only queries over trees, with a cache of decoded nodes (nodes never change).

    The cache is bounded by entries held, not nodes: a million-entry directory read piece by
    piece never holds more than `cache_entries` of them at once.
    """

    def __init__(self, load: Loader, cache_entries: int = 200_000) -> None:
        self._load = load
        # hash -> (node, entries), oldest first; an OrderedDict pops its oldest in O(1), where a
        # dict's first item is found by skipping every slot popped before it.
        self._cache: OrderedDict[str, tuple[Listing, int]] = OrderedDict()
        self._held = 0
        self._cache_entries = cache_entries

    def node(self, digest: str) -> Listing:
        """A directory's entries by name; iterating yields names in order."""
        cached = self._cache.get(digest)
        if cached is not None:
            return cached[0]
        loaded = self._load(digest)
        if isinstance(loaded, Index):
            node: Listing = SplitNode(loaded, self.piece)
            self._remember(digest, node, len(loaded.pieces))
            return node
        self._remember(digest, loaded, len(loaded))
        return loaded

    def piece(self, digest: str) -> Node:
        """One piece of a directory stored in pieces (a flat node)."""
        cached = self._cache.get(digest)
        if cached is not None and isinstance(cached[0], dict):
            return cached[0]
        loaded = self._load(digest)
        if isinstance(loaded, Index):
            raise StoreCorrupt(
                f"directory piece {digest[:12]} is an index node", "run `pachlite fsck` for details"
            )
        self._remember(digest, loaded, len(loaded))
        return loaded

    def _remember(self, digest: str, node: Listing, weight: int) -> None:
        """Cache a node, dropping the oldest ones until the entries held fit the bound."""
        weight = max(weight, 1)
        while self._cache and self._held + weight > self._cache_entries:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._held -= dropped
        self._cache[digest] = (node, weight)
        self._held += weight

    def items(self, digest: str) -> Iterator[tuple[str, Entry]]:
        """A directory's entries in name order, streamed piece by piece when it is split."""
        node = self.node(digest)
        if isinstance(node, SplitNode):
            return node.sorted_items()
        return iter(sorted(node.items()))

    def lookup(self, root: str, path: str) -> Entry | None:
        """The entry at a cleaned path; the root is a directory entry of size -1 (unknown)."""
        entry: Entry | None = Entry(DIR, root, -1)
        for name in split(path):
            if entry is None or not entry.is_dir:
                return None
            entry = self.node(entry.hash).get(name)
        return entry

    def walk(self, digest: str, path: str = "/") -> Iterator[tuple[str, Entry]]:
        """Every entry below a directory, depth first, in path order (directories included)."""
        stack = [(path, self.items(digest))]
        while stack:
            base, entries = stack[-1]
            item = next(entries, None)
            if item is None:
                stack.pop()
                continue
            name, entry = item
            child = join(base, name)
            yield child, entry
            if entry.is_dir:
                stack.append((child, self.items(entry.hash)))

    def files(self, entry: Entry, path: str) -> Iterator[tuple[str, Entry]]:
        """The files at or under a path."""
        if not entry.is_dir:
            yield path, entry
            return
        for child, sub in self.walk(entry.hash, path):
            if not sub.is_dir:
                yield child, sub

    def diff(
        self, old: Entry | None, new: Entry | None, path: str
    ) -> Iterator[tuple[str, Entry | None, Entry | None]]:
        """Changed files between two entries at one path: (path, old, new), in path order."""
        # A stack of pending (path, old, new) comparisons, children pushed in reverse so they
        # pop in path order.
        stack: list[tuple[str, Entry | None, Entry | None]] = [(path, old, new)]
        while stack:
            at, before, after = stack.pop()
            if before is not None and after is not None:
                if before.hash == after.hash and before.kind == after.kind:
                    continue
                if before.is_dir and after.is_dir:
                    old_node, new_node = _changed(self.node(before.hash), self.node(after.hash))
                    names = sorted(old_node.keys() | new_node.keys(), reverse=True)
                    stack.extend((join(at, n), old_node.get(n), new_node.get(n)) for n in names)
                    continue
                if not before.is_dir and not after.is_dir:
                    yield at, before, after
                    continue
            # Added, deleted, or a file replaced by a directory (or back): both sides' files.
            removed = dict(self.files(before, at)) if before else {}
            added = dict(self.files(after, at)) if after else {}
            for child in sorted(removed.keys() | added.keys()):
                yield child, removed.get(child), added.get(child)


def _changed(old: Listing, new: Listing) -> tuple[Listing, Listing]:
    """Two directories less what they certainly share: when both are split, the entries of the
    pieces found on both sides are equal and dropped (a name lives in one piece a side)."""
    if isinstance(old, SplitNode) and isinstance(new, SplitNode):
        shared = {p.hash for p in old.index.pieces} & {p.hash for p in new.index.pieces}
        return old.entries_outside(shared), new.entries_outside(shared)
    return old, new


Entries = Node | SplitEntries


@dataclass
class _MutableDir:
    entries: Entries
    children: dict[str, _MutableDir] = field(default_factory=dict)


class TreeEditor:
    """Batched edits on top of a root; `flush` writes only the directories that changed."""

    def __init__(self, reader: TreeReader, root: str) -> None:
        self._reader = reader
        self._root = _MutableDir(self._editable(root))

    def put(self, path: str, entry: Entry) -> None:
        """Place a file (or a whole directory entry, for copies) at a cleaned path."""
        parts = split(path)
        node = self._root
        for depth, name in enumerate(parts[:-1]):
            node = self._dir_for_write(node, name, parts[: depth + 1], path)
        last = parts[-1]
        current = node.entries.get(last)
        if current is not None and current.is_dir and not entry.is_dir:
            raise Conflict(
                f"cannot write file {path}: it is a directory",
                f"delete the directory first (pachlite delete file -r ...:{path})",
            )
        node.children.pop(last, None)
        node.entries[last] = entry

    def get(self, path: str) -> Entry | None:
        """The current entry at a path, edits included (directories only when unedited)."""
        parts = split(path)
        node = self._root
        for name in parts[:-1]:
            child = self._existing_dir(node, name)
            if child is None:
                return None
            node = child
        if not parts or parts[-1] in node.children:
            return None
        return node.entries.get(parts[-1])

    def delete(self, path: str) -> bool:
        """Remove a file or directory; False when nothing was there."""
        parts = split(path)
        if not parts:
            had = bool(self._root.entries)
            self._root = _MutableDir({})
            return had
        node = self._root
        for name in parts[:-1]:
            child = self._existing_dir(node, name)
            if child is None:
                return False
            node = child
        node.children.pop(parts[-1], None)
        return node.entries.pop(parts[-1], None) is not None

    def flush(self, save: Saver) -> tuple[str, int]:
        """Write changed directories bottom-up; returns the new root hash and total size."""
        # Iterative post-order: each edited directory is written after its edited children.
        order: list[_MutableDir] = []
        pending = [self._root]
        while pending:
            node = pending.pop()
            order.append(node)
            pending.extend(node.children.values())
        flushed: dict[int, Entry | None] = {}
        for node in reversed(order):
            for name, child in node.children.items():
                entry = flushed.pop(id(child))
                if entry is None:
                    node.entries.pop(name, None)
                else:
                    node.entries[name] = entry
            node.children.clear()
            flushed[id(node)] = self._write(node, save)
        root = flushed[id(self._root)]
        if root is None:
            save(EMPTY_TREE, EMPTY_BODY, 0)
            return EMPTY_TREE, 0
        return root.hash, root.size

    def _editable(self, digest: str) -> Entries:
        node = self._reader.node(digest)
        if isinstance(node, SplitNode):
            return SplitEntries(node.index, self._reader.piece)
        return dict(node)

    @staticmethod
    def _write(node: _MutableDir, save: Saver) -> Entry | None:
        """One directory saved: flat up to SPLIT entries, in pieces above (by count alone, so
        the same content always has the same form and hash)."""
        entries = node.entries
        if not entries:
            return None
        if isinstance(entries, SplitEntries):
            if len(entries) > SPLIT:
                digest, size = save_index(entries.save(save), save)
                return Entry(DIR, digest, size)
            entries = dict(entries.all_items())
        if len(entries) > SPLIT:
            digest, size = save_index(save_split(sorted(entries.items()), save), save)
            return Entry(DIR, digest, size)
        body = encode(entries)
        digest = node_hash(body)
        size = sum(entry.size for entry in entries.values())
        save(digest, body, size)
        return Entry(DIR, digest, size)

    def _existing_dir(self, node: _MutableDir, name: str) -> _MutableDir | None:
        """The child directory `name`, loaded for editing; None if absent or a file."""
        child = node.children.get(name)
        if child is None:
            entry = node.entries.get(name)
            if entry is None or not entry.is_dir:
                return None
            child = node.children[name] = _MutableDir(self._editable(entry.hash))
        return child

    def _dir_for_write(
        self, node: _MutableDir, name: str, prefix: list[str], target: str
    ) -> _MutableDir:
        """The child directory `name`, created if missing; a file in the way is a conflict."""
        child = self._existing_dir(node, name)
        if child is not None:
            return child
        if name in node.entries:
            raise Conflict(
                f"cannot write {target}: /{'/'.join(prefix)} is a file",
                "a path cannot be both a file and a directory; delete or rename the file",
            )
        child = node.children[name] = _MutableDir({})
        return child
