"""Commits: start, finish, inspect, list, wait (reference §5.1, §5.3).

A commit is open until finished; a finished commit is immutable. Its content is a tree root,
starting as its parent's. Starting a commit on a branch moves the branch head and, like every
head move, propagates an AUTO commit with the same ID to each downstream branch (§5.2).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from pachlite.errors import CommitNotFound, Conflict, InvalidArgument, Timeout
from pachlite.model import CommitInfo, Origin
from pachlite.paths import validate_name
from pachlite.pfs import provenance
from pachlite.pfs.db import Row
from pachlite.pfs.refs import (
    COMMIT_SELECT,
    ancestry,
    branch_row,
    commit_by_row_id,
    repo_row,
    resolve_commit,
)
from pachlite.pfs.store import Store
from pachlite.pfs.tree import EMPTY_TREE
from pachlite.uri import CommitRef


def new_commit_set(store: Store) -> str:
    set_id = uuid.uuid4().hex
    store.db.execute("INSERT INTO commit_sets (id, created) VALUES (?, ?)", (set_id, time.time()))
    return set_id


def insert_commit(
    store: Store,
    repo_id: int,
    set_id: str,
    branch: str | None,
    parent: Row | None,
    origin: Origin,
    description: str = "",
) -> int:
    """A new open commit whose content starts as its parent's."""
    cursor = store.db.execute(
        """INSERT INTO commits (repo_id, commit_id, branch, parent, origin, description,
                                started, tree)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            repo_id,
            set_id,
            branch,
            parent["id"] if parent else None,
            str(origin),
            description,
            time.time(),
            parent["tree"] if parent else EMPTY_TREE,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def start_commit(
    store: Store,
    repo: str,
    branch: str | None,
    *,
    parent: CommitRef | None = None,
    description: str = "",
) -> Row:
    """Open a USER commit on a branch (created if missing) or, without a branch, detached."""
    with store.db.atomic():
        repo_r = repo_row(store, repo)
        branch_r = None
        if branch is not None:
            validate_name("branch", branch)
            branch_r = branch_row(store, repo_r, branch)
        parent_r = _choose_parent(store, repo_r, branch_r, parent)
        set_id = new_commit_set(store)
        row_id = insert_commit(
            store, repo_r["id"], set_id, branch, parent_r, Origin.USER, description
        )
        if branch is not None:
            branch_id = provenance.move_head(store, repo_r["id"], branch, row_id)
            provenance.record_branch_provenance(store, branch_id, row_id)
            provenance.propagate(store, set_id, [branch_id])
        return commit_by_row_id(store, row_id)


def _choose_parent(
    store: Store, repo: Row, branch: Row | None, parent: CommitRef | None
) -> Row | None:
    if parent is not None:
        if parent.repo != repo["name"]:
            raise InvalidArgument(
                f"parent {parent} is in another repo than {repo['name']}",
                "a parent must be a commit of the same repo",
            )
        return resolve_commit(store, parent)
    if branch is None or branch["head"] is None:
        return None
    head = commit_by_row_id(store, branch["head"])
    if head["finished"] is None:
        raise Conflict(
            f"{repo['name']}@{branch['name']} already has an open commit {head['commit_id']}",
            f"finish it first: `pachlite finish commit {repo['name']}@{branch['name']}`",
        )
    return head


def finish_commit(
    store: Store,
    ref: CommitRef,
    *,
    description: str | None = None,
    error: str | None = None,
    force: bool = False,
) -> Row:
    with store.db.atomic():
        row = resolve_commit(store, ref)
        if row["finished"] is not None:
            raise Conflict(
                f"commit {row['repo']}@{row['commit_id']} is already finished",
                "start a new one with `pachlite start commit`",
            )
        if not force and Origin(row["origin"]) == Origin.AUTO:
            raise Conflict(
                f"commit {row['repo']}@{row['commit_id']} was made by provenance and belongs to "
                "whatever computes it",
                "pass --force to finish it anyway",
            )
        now = time.time()
        store.db.execute(
            """UPDATE commits SET finishing = ?, finished = ?, error = ?,
                      description = COALESCE(?, description) WHERE id = ?""",
            (now, now, error, description, row["id"]),
        )
        return commit_by_row_id(store, row["id"])


def commit_info(store: Store, row: Row) -> CommitInfo:
    parent = commit_by_row_id(store, row["parent"]) if row["parent"] else None
    children = store.db.all("SELECT commit_id FROM commits WHERE parent = ?", (row["id"],))
    return CommitInfo(
        repo=row["repo"],
        id=row["commit_id"],
        branch=row["branch"],
        origin=Origin(row["origin"]),
        parent=parent["commit_id"] if parent else None,
        children=[c["commit_id"] for c in children],
        description=row["description"],
        started=row["started"],
        finishing=row["finishing"],
        finished=row["finished"],
        error=row["error"],
        size_bytes=store.tree_size(row["tree"]),
        direct_provenance=[
            f"{r['repo']}@{r['commit_id']}" for r in provenance.upstream(store, row)
        ],
        direct_subvenance=[
            f"{r['repo']}@{r['commit_id']}" for r in provenance.downstream(store, row)
        ],
    )


def list_commits(
    store: Store,
    *,
    repo: str | None = None,
    ref: CommitRef | None = None,
    set_id: str | None = None,
    number: int = 0,
    origin: Origin | None = None,
) -> list[CommitInfo]:
    """Commits of a branch's history (ref), a repo, or a commit set; newest first."""
    if ref is not None:
        rows: Sequence[Row] = ancestry(store, resolve_commit(store, ref))
    elif set_id is not None:
        rows = store.db.all(f"{COMMIT_SELECT} WHERE c.commit_id = ? ORDER BY c.id", (set_id,))
        if not rows:
            raise CommitNotFound(f"no commit set {set_id}", "see `pachlite list commit`")
    elif repo is not None:
        repo_id = repo_row(store, repo)["id"]
        rows = store.db.all(f"{COMMIT_SELECT} WHERE c.repo_id = ? ORDER BY c.id DESC", (repo_id,))
    else:
        rows = store.db.all(f"{COMMIT_SELECT} ORDER BY c.id DESC")
    if origin is not None:
        rows = [r for r in rows if r["origin"] == str(origin)]
    if number:
        rows = rows[:number]
    return [commit_info(store, r) for r in rows]


def wait_commit(store: Store, ref: CommitRef, timeout: float | None = None) -> list[CommitInfo]:
    """Wait until the commit and every commit of its set downstream of it are finished."""
    row = resolve_commit(store, ref)
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.01
    while True:
        rows = [row, *provenance.subvenance_in_set(store, row)]
        fresh = [commit_by_row_id(store, r["id"]) for r in rows]
        if all(r["finished"] is not None for r in fresh):
            return [commit_info(store, r) for r in fresh]
        if deadline is not None and time.monotonic() > deadline:
            open_ = [f"{r['repo']}@{r['commit_id']}" for r in fresh if r["finished"] is None]
            raise Timeout(
                f"still open after {timeout}s: {', '.join(open_)}",
                "finish them, or wait longer with --timeout",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def start_auto_commit(store: Store, repo: str, branch: str) -> Row:
    """A new commit set starting at this branch: an open AUTO commit recording its inputs'
    current heads, propagated downstream (what creating or updating a pipeline does)."""
    with store.db.atomic():
        repo_r = repo_row(store, repo)
        branch_r = branch_row(store, repo_r, branch)
        parent = (
            commit_by_row_id(store, branch_r["head"]) if branch_r and branch_r["head"] else None
        )
        set_id = new_commit_set(store)
        row_id = insert_commit(store, repo_r["id"], set_id, branch, parent, Origin.AUTO)
        branch_id = provenance.move_head(store, repo_r["id"], branch, row_id)
        provenance.record_branch_provenance(store, branch_id, row_id)
        provenance.propagate(store, set_id, [branch_id])
        return commit_by_row_id(store, row_id)


def set_content(store: Store, row_id: int, tree: str) -> None:
    """Replace an open commit's content (a job resets its output to the last good one)."""
    store.db.execute(
        "UPDATE commits SET tree = ? WHERE id = ? AND finished IS NULL", (tree, row_id)
    )


def close_commit(store: Store, row_id: int, *, error: str | None = None) -> None:
    """Finish a commit on behalf of whatever computes it (a job), with or without an error."""
    now = time.time()
    store.db.execute(
        "UPDATE commits SET finishing = ?, finished = ?, error = ? "
        "WHERE id = ? AND finished IS NULL",
        (now, now, error, row_id),
    )
