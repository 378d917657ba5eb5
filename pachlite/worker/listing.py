"""What a commit holds, as the planner wants it: every path with its hash and size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pachlite.pfs.records import CommitRecord
from pachlite.pfs.store import Store
from pachlite.pps.datums import Entry, InputCommit


@dataclass(frozen=True)
class _Paths:
    """A commit's paths, walked from its tree each time they are read: a million-file input
    is never held as a second copy beside the tree nodes."""

    store: Store
    root: str

    def __iter__(self) -> Iterator[Entry]:
        for path, entry in self.store.trees.walk(self.root):
            yield Entry(path, entry.hash, entry.size, entry.is_dir)


def input_commit(store: Store, commit: CommitRecord, branch: str) -> InputCommit:
    """`branch` is the input's branch from the spec: part of every datum ID."""
    return InputCommit(
        repo=commit.repo,
        branch=branch,
        commit=commit.commit_id,
        entries=_Paths(store, commit.tree),
        root_hash=commit.tree,
    )
