"""Files in commits: batched modifications and reads (docs/semantics.md §5.3).

Writes name a branch or an open commit. A branch whose head is open receives the changes into
that commit; otherwise a new commit is started and finished around them, as pachctl does.
Object bytes are stored before the metadata transaction that references them, so a crash
leaves at worst unreferenced objects, never a commit pointing at missing data.

Puts (and copies of a file) into a commit that stays open are staged (pachlite.pfs.staged):
constant time each, however many files the commit holds. Deletes and directory copies edit
the tree, after folding in what was staged before them.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass

from pachlite.errors import Conflict, FileNotFound, InvalidPath
from pachlite.globpattern import compile_glob
from pachlite.model import DiffKind, FileDiff, FileInfo, FileType
from pachlite.paths import validate_path
from pachlite.pfs import commits, staged
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import (
    commit_by_row_id,
    find_branch,
    require_repo,
    resolve_commit,
    settled,
)
from pachlite.pfs.store import Store
from pachlite.pfs.tree import DIR, FILE, Entry, TreeEditor
from pachlite.uri import CommitRef


@dataclass(frozen=True, slots=True)  # slots: a million-datum job holds a million
class Put:
    path: str
    hash: str
    size: int
    append: bool = False


@dataclass(frozen=True)
class Delete:
    path: str
    recursive: bool = False
    missing_ok: bool = False  # Pachyderm's DeleteFile of a path that is not there is no error


@dataclass(frozen=True)
class Copy:
    path: str
    entry: Entry


Op = Put | Delete | Copy


def modify(store: Store, ref: CommitRef, ops: list[Op], *, description: str = "") -> CommitRecord:
    """Apply operations atomically; returns the commit they landed in (after staged puts,
    a record whose `staged_bytes` counts what its tree does not hold yet)."""
    with store.db.atomic():
        commit, auto_finish = _writable_commit(store, ref, description)
        files_only = [f for f in map(_staged_file, ops) if f is not None]
        if not auto_finish and len(files_only) == len(ops):
            total = 0 if files_only else staged.staged_bytes(store, commit.id)
            for path, entry, append in files_only:
                total = staged.stage(store, commit, path, entry, append=append)
            # Staging changes no column of the commit's row: the record read above holds.
            return dataclasses.replace(commit, staged_bytes=total)
        if not auto_finish:
            commit = settled(store, commit)
        editor = TreeEditor(store.trees, commit.tree)
        for op in ops:
            _apply(store, editor, op)
        root, _ = editor.flush(store.save_tree)
        store.db.execute("UPDATE commits SET tree = ? WHERE id = ?", (root, commit.id))
        if auto_finish:
            now = time.time()
            store.db.execute(
                "UPDATE commits SET finishing = ?, finished = ? WHERE id = ?",
                (now, now, commit.id),
            )
        return commit_by_row_id(store, commit.id)


def _staged_file(op: Op) -> tuple[str, Entry, bool] | None:
    """(path, file entry, append) when an op only places a file, which can be staged."""
    if isinstance(op, Put) and op.path != "/":
        return op.path, Entry(FILE, op.hash, op.size), op.append
    if isinstance(op, Copy) and not op.entry.is_dir and op.path != "/":
        return op.path, op.entry, False
    return None


def _named_open_commit(store: Store, ref: CommitRef) -> CommitRecord | None:
    """The commit a ref names explicitly (it must be open), or None for a branch write.
    Unsettled: a put stages onto it."""
    if ref.commit or ref.ancestors or ref.nth is not None or ref.branch is None:
        commit = resolve_commit(store, ref, settle=False)
        if commit.finished is not None:
            raise Conflict(
                f"commit {commit.name} is finished and cannot change",
                f"write to a branch instead, e.g. {commit.repo}@{commit.branch or 'master'}",
            )
        return commit
    require_repo(store, ref.repo)
    return None


def check_writable(store: Store, ref: CommitRef) -> None:
    """Refuse a write before its bytes are stored: no orphan objects from a bad target."""
    _named_open_commit(store, ref)


def _writable_commit(store: Store, ref: CommitRef, description: str) -> tuple[CommitRecord, bool]:
    named = _named_open_commit(store, ref)
    if named is not None:
        return named, False
    assert ref.branch is not None
    branch = find_branch(store, require_repo(store, ref.repo), ref.branch)
    if branch is not None and branch.head is not None:
        head = commit_by_row_id(store, branch.head, settle=False)
        if head.finished is None:
            return head, False
    return commits.start_commit(store, ref.repo, ref.branch, description=description), True


def _apply(store: Store, editor: TreeEditor, op: Op) -> None:
    if isinstance(op, Put):
        entry = Entry(FILE, op.hash, op.size)
        if op.append:
            current = editor.get(op.path)
            if current is not None and not current.is_dir:
                digest, size = store.objects.put_chunks(
                    itertools.chain(
                        store.objects.iter_verified(current.hash),
                        store.objects.iter_verified(op.hash),
                    )
                )
                entry = Entry(FILE, digest, size)
        editor.put(op.path, entry)
    elif isinstance(op, Copy):
        editor.put(op.path, op.entry)
    else:
        current = editor.get(op.path)
        if op.path != "/" and current is not None and current.is_dir and not op.recursive:
            raise Conflict(f"{op.path} is a directory", "pass -r to delete it with its content")
        if not editor.delete(op.path) and op.path != "/" and not op.missing_ok:
            raise FileNotFound(f"no file or directory {op.path} to delete")


# -- reads ---------------------------------------------------------------------------------


def entry_at(store: Store, commit: CommitRecord, path: str) -> Entry:
    path = validate_path(path)
    entry = store.trees.lookup(commit.tree, path)
    if entry is None:
        raise FileNotFound(
            f"{commit.name}:{path} not found",
            f"see `pachlite list file {commit.name}:/`",
        )
    if path == "/":
        entry = Entry(DIR, commit.tree, store.tree_size(commit.tree))
    return entry


def file_info(commit: CommitRecord, path: str, entry: Entry) -> FileInfo:
    return FileInfo(
        repo=commit.repo,
        commit=commit.commit_id,
        path=path + "/" if entry.is_dir and path != "/" else path,
        type=FileType.DIR if entry.is_dir else FileType.FILE,
        size_bytes=entry.size,
        hash=entry.hash,
    )


def inspect_file(store: Store, ref: CommitRef, path: str) -> FileInfo:
    commit = resolve_commit(store, ref)
    return file_info(commit, validate_path(path), entry_at(store, commit, path))


def list_file(store: Store, ref: CommitRef, path: str) -> list[FileInfo]:
    """A directory's children, or the file itself."""
    commit = resolve_commit(store, ref)
    path = validate_path(path)
    entry = entry_at(store, commit, path)
    if not entry.is_dir:
        return [file_info(commit, path, entry)]
    node = store.trees.node(entry.hash)
    base = "" if path == "/" else path
    return [file_info(commit, f"{base}/{name}", node[name]) for name in sorted(node)]


def glob_file(store: Store, ref: CommitRef, pattern: str) -> list[FileInfo]:
    """Every file and directory whose path matches (docs/semantics.md §2.2)."""
    glob = compile_glob(pattern)
    commit = resolve_commit(store, ref)
    found: list[FileInfo] = []
    # The root is a datum only for the glob "/" itself (one datum: the whole repo).
    if glob.pattern == "/" and store.trees.node(commit.tree):
        found.append(file_info(commit, "/", entry_at(store, commit, "/")))
    for path, entry in store.trees.walk(commit.tree):
        if glob.match(path):
            found.append(file_info(commit, path, entry))
    return found


def walk_files(store: Store, commit: CommitRecord, path: str) -> Iterator[tuple[str, Entry]]:
    """(path, entry) of every file at or under a path of a commit."""
    entry = entry_at(store, commit, path)
    return store.trees.files(entry, validate_path(path))


def diff_file(
    store: Store,
    new_ref: CommitRef,
    new_path: str = "/",
    old_ref: CommitRef | None = None,
    old_path: str | None = None,
) -> list[FileDiff]:
    """Changed files between two commits (default: a commit and its parent)."""
    new = resolve_commit(store, new_ref)
    if old_ref is None:
        old = commit_by_row_id(store, new.parent) if new.parent else None
    else:
        old = resolve_commit(store, old_ref)
    new_path = validate_path(new_path)
    old_path = validate_path(old_path) if old_path is not None else new_path
    new_entry = store.trees.lookup(new.tree, new_path)
    old_entry = store.trees.lookup(old.tree, old_path) if old is not None else None
    if new_entry is None and old_entry is None:
        raise FileNotFound(f"{new_path} exists in neither commit")
    diffs: list[FileDiff] = []
    for path, before, after in store.trees.diff(old_entry, new_entry, new_path):
        kind = DiffKind.MODIFIED
        if before is None:
            kind = DiffKind.ADDED
        elif after is None:
            kind = DiffKind.DELETED
        diffs.append(
            FileDiff(
                kind,
                file_info(new, path, after) if after else None,
                file_info(old, path, before) if before and old is not None else None,
            )
        )
    return diffs


def require_file(entry: Entry, path: str) -> None:
    if entry.is_dir:
        raise InvalidPath(f"{path} is a directory", "pass -r to get it with its content")
