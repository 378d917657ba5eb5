"""What a commit holds, as the planner wants it: every path with its hash and size."""

from __future__ import annotations

from pachlite.pfs.records import CommitRecord
from pachlite.pfs.store import Store
from pachlite.pps.datums import Entry, InputCommit


def input_commit(store: Store, commit: CommitRecord, branch: str) -> InputCommit:
    """`branch` is the input's branch from the spec: part of every datum ID."""
    entries = tuple(
        Entry(path, entry.hash, entry.size, entry.is_dir)
        for path, entry in store.trees.walk(commit.tree)
    )
    return InputCommit(
        repo=commit.repo,
        branch=branch,
        commit=commit.commit_id,
        entries=entries,
        root_hash=commit.tree,
    )
