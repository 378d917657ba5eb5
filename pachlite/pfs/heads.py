"""Moving branch heads: opening a commit on a branch, and propagation (docs/semantics.md §5.2).

Every head move starts a commit set: the moved branch's commit records the current heads of
the branches it is computed from, and each branch downstream gets a new open AUTO commit with
the same ID. Its direct provenance is, for each upstream branch, the new commit of this set
when that branch advanced, or its current head otherwise. `open_commit` is the one way a commit
is opened on a branch; the graph it walks is read by `provenance`.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pachlite.errors import AlreadyExists
from pachlite.model import Origin
from pachlite.pfs.provenance import upstream_branches
from pachlite.pfs.records import CommitRecord, RepoRecord
from pachlite.pfs.refs import commit_by_row_id
from pachlite.pfs.store import Store

# A commit set every head move of the block joins, instead of one new set per move: the
# transaction API's (pachd gives the commits of a transaction its ID, txnCtx.CommitSetID in
# src/server/transaction/server/driver.go).
_PINNED_SET: ContextVar[str | None] = ContextVar("pachlite_pinned_commit_set", default=None)


@contextmanager
def one_commit_set(set_id: str) -> Iterator[None]:
    """Every commit set started in the block (by this thread) is `set_id`."""
    token = _PINNED_SET.set(set_id)
    try:
        yield
    finally:
        _PINNED_SET.reset(token)


def new_commit_set(store: Store) -> str:
    set_id = _PINNED_SET.get() or uuid.uuid4().hex
    store.db.execute(
        "INSERT OR IGNORE INTO commit_sets (id, created) VALUES (?, ?)", (set_id, time.time())
    )
    return set_id


def insert_commit(
    store: Store,
    repo_id: int,
    set_id: str,
    branch: str | None,
    parent: CommitRecord | None,
    origin: Origin,
    description: str = "",
) -> int:
    """A new open commit whose content starts as its parent's; returns its row id."""
    from pachlite.pfs.tree import EMPTY_TREE  # here: `list commit` imports this module

    if _PINNED_SET.get() == set_id:
        _refuse_second_commit(store, repo_id, set_id)
    cursor = store.db.execute(
        """INSERT INTO commits (repo_id, commit_id, branch, parent, origin, description,
                                started, tree)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            repo_id,
            set_id,
            branch,
            parent.id if parent else None,
            str(origin),
            description,
            time.time(),
            parent.tree if parent else EMPTY_TREE,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _refuse_second_commit(store: Store, repo_id: int, set_id: str) -> None:
    """A commit set has one commit per repo: a transaction that starts two in one repo is
    refused as pachd refuses it (ErrCommitExists in src/server/pfs/pfs.go)."""
    row = store.db.one(
        "SELECT r.name FROM commits c JOIN repos r ON r.id = c.repo_id "
        "WHERE c.repo_id = ? AND c.commit_id = ?",
        (repo_id, set_id),
    )
    if row is not None:
        raise AlreadyExists(f"commit {row['name']}@{set_id} already exists")


def open_commit(
    store: Store,
    repo: RepoRecord,
    branch: str,
    parent: CommitRecord | None,
    origin: Origin,
    description: str = "",
) -> CommitRecord:
    """Open a commit on a branch (created if missing) in a new commit set, make it the head,
    record its provenance and propagate the set downstream. Call inside `store.db.atomic()`."""
    set_id = new_commit_set(store)
    row_id = insert_commit(store, repo.id, set_id, branch, parent, origin, description)
    branch_id = move_head(store, repo.id, branch, row_id)
    record_branch_provenance(store, branch_id, row_id)
    propagate(store, set_id, [branch_id])
    return commit_by_row_id(store, row_id)


def move_head(store: Store, repo_id: int, branch: str, commit_row_id: int) -> int:
    """Point a branch at a commit, creating the branch if needed; returns the branch row id."""
    store.db.execute(
        """INSERT INTO branches (repo_id, name, head) VALUES (?, ?, ?)
           ON CONFLICT (repo_id, name) DO UPDATE SET head = excluded.head""",
        (repo_id, branch, commit_row_id),
    )
    return int(
        store.db.scalar("SELECT id FROM branches WHERE repo_id = ? AND name = ?", (repo_id, branch))
    )


def record_branch_provenance(store: Store, branch_id: int, commit_row_id: int) -> None:
    """A commit on a branch comes from the current heads of the branch's upstream branches."""
    store.db.execute(
        """INSERT OR IGNORE INTO commit_provenance (downstream, upstream)
           SELECT ?, b.head FROM branch_provenance p JOIN branches b ON b.id = p.upstream
           WHERE p.downstream = ? AND b.head IS NOT NULL""",
        (commit_row_id, branch_id),
    )


def downstream_branches(store: Store, branch_ids: list[int]) -> list[int]:
    """Every branch below the given ones, in an order where upstream comes first."""
    below: set[int] = set()
    queue = deque(branch_ids)
    while queue:
        for row in store.db.all(
            "SELECT downstream FROM branch_provenance WHERE upstream = ?", (queue.popleft(),)
        ):
            if row[0] not in below:
                below.add(row[0])
                queue.append(row[0])
    below -= set(branch_ids)
    ordered: list[int] = []
    pending = set(below)
    while pending:
        ready = sorted(
            b
            for b in pending
            if not any(u in pending for u in upstream_branches(store, b, direct=True))
        )
        ordered.extend(ready)
        pending -= set(ready)
    return ordered


def propagate(store: Store, set_id: str, moved: list[int]) -> list[int]:
    """Give each branch downstream of `moved` a new open AUTO commit in this commit set."""
    created: list[int] = []
    for branch_id in downstream_branches(store, moved):
        branch = store.db.one(
            "SELECT b.*, r.id AS rid FROM branches b JOIN repos r ON r.id = b.repo_id "
            "WHERE b.id = ?",
            (branch_id,),
        )
        assert branch is not None
        existing = store.db.one(
            "SELECT id FROM commits WHERE repo_id = ? AND commit_id = ?", (branch["rid"], set_id)
        )
        if existing is not None:
            # This repo already has its commit in the set (two branches downstream). When it
            # is this branch's head, another of its inputs moved in the same set (a
            # transaction): it now comes from their new heads, as pachd propagates a
            # transaction's moves once, at its end.
            if existing["id"] == branch["head"]:
                store.db.execute(
                    "DELETE FROM commit_provenance WHERE downstream = ?", (existing["id"],)
                )
                record_branch_provenance(store, branch_id, existing["id"])
            continue
        parent = commit_by_row_id(store, branch["head"]) if branch["head"] else None
        row_id = insert_commit(store, branch["rid"], set_id, branch["name"], parent, Origin.AUTO)
        store.db.execute("UPDATE branches SET head = ? WHERE id = ?", (row_id, branch_id))
        record_branch_provenance(store, branch_id, row_id)
        created.append(row_id)
    return created
