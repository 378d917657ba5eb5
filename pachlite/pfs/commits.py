"""Commits: start, finish, inspect, list, wait (docs/semantics.md §5.1, §5.3).

A commit is open until finished; a finished commit is immutable. Its content is a tree root,
starting as its parent's. Starting a commit on a branch moves the branch head and, like every
head move, propagates an AUTO commit with the same ID to each downstream branch
(docs/semantics.md §5.2).
"""

from __future__ import annotations

import time

from pachlite.errors import CommitNotFound, Conflict, InvalidArgument, Timeout
from pachlite.model import CommitInfo, Origin
from pachlite.paths import validate_name
from pachlite.pfs import heads, metadata, provenance, staged
from pachlite.pfs.records import BranchRecord, CommitRecord, RepoRecord
from pachlite.pfs.refs import (
    ancestry,
    commit_by_row_id,
    commits_where,
    find_branch,
    require_repo,
    resolve_commit,
)
from pachlite.pfs.store import Store
from pachlite.uri import CommitRef


def start_commit(
    store: Store,
    repo: str,
    branch: str | None,
    *,
    parent: CommitRef | None = None,
    description: str = "",
) -> CommitRecord:
    """Open a USER commit on a branch (created if missing) or, without a branch, detached."""
    with store.db.atomic():
        repo_r = require_repo(store, repo)
        branch_r = None
        if branch is not None:
            validate_name("branch", branch)
            branch_r = find_branch(store, repo_r, branch)
        parent_r = _choose_parent(store, repo_r, branch_r, parent)
        if branch is not None:
            return heads.open_commit(store, repo_r, branch, parent_r, Origin.USER, description)
        set_id = heads.new_commit_set(store)
        row_id = heads.insert_commit(
            store, repo_r.id, set_id, None, parent_r, Origin.USER, description
        )
        return commit_by_row_id(store, row_id)


def _choose_parent(
    store: Store, repo: RepoRecord, branch: BranchRecord | None, parent: CommitRef | None
) -> CommitRecord | None:
    if parent is not None:
        if parent.repo != repo.name:
            raise InvalidArgument(
                f"parent {parent} is in another repo than {repo.name}",
                "a parent must be a commit of the same repo",
            )
        return resolve_commit(store, parent)
    if branch is None or branch.head is None:
        return None
    head = commit_by_row_id(store, branch.head)
    if head.finished is None:
        raise Conflict(
            f"{repo.name}@{branch.name} already has an open commit {head.commit_id}",
            f"finish it first: `pachlite finish commit {repo.name}@{branch.name}`",
        )
    return head


def finish_commit(
    store: Store,
    ref: CommitRef,
    *,
    description: str | None = None,
    error: str | None = None,
    force: bool = False,
) -> CommitRecord:
    with store.db.atomic():
        commit = resolve_commit(store, ref)
        if commit.finished is not None:
            raise Conflict(
                f"commit {commit.name} is already finished",
                "start a new one with `pachlite start commit`",
            )
        if not force and commit.origin == Origin.AUTO:
            raise Conflict(
                f"commit {commit.name} was made by provenance and belongs to whatever computes it",
                "pass --force to finish it anyway",
            )
        now = time.time()
        store.db.execute(
            """UPDATE commits SET finishing = ?, finished = ?, error = ?,
                      description = COALESCE(?, description) WHERE id = ?""",
            (now, now, error, description, commit.id),
        )
        return commit_by_row_id(store, commit.id)


def commit_info(store: Store, commit: CommitRecord) -> CommitInfo:
    parent = commit_by_row_id(store, commit.parent) if commit.parent else None
    children = store.db.all("SELECT commit_id FROM commits WHERE parent = ?", (commit.id,))
    return CommitInfo(
        repo=commit.repo,
        id=commit.commit_id,
        branch=commit.branch,
        origin=commit.origin,
        parent=parent.commit_id if parent else None,
        children=[c["commit_id"] for c in children],
        description=commit.description,
        started=commit.started,
        finishing=commit.finishing,
        finished=commit.finished,
        error=commit.error,
        size_bytes=store.tree_size(commit.tree) + commit.staged_bytes,
        direct_provenance=[c.name for c in provenance.upstream(store, commit)],
        direct_subvenance=[c.name for c in provenance.downstream(store, commit)],
        metadata=metadata.read(store, "commit", commit.id),
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
        found = ancestry(store, resolve_commit(store, ref))
    elif set_id is not None:
        found = commits_where(store, "WHERE c.commit_id = ? ORDER BY c.id", (set_id,))
        if not found:
            raise CommitNotFound(f"no commit set {set_id}", "see `pachlite list commit`")
    elif repo is not None:
        repo_id = require_repo(store, repo).id
        found = commits_where(store, "WHERE c.repo_id = ? ORDER BY c.id DESC", (repo_id,))
    else:
        found = commits_where(store, "ORDER BY c.id DESC")
    if origin is not None:
        found = [c for c in found if c.origin == origin]
    if number:
        found = found[:number]
    return [commit_info(store, c) for c in found]


def commit_ids(store: Store, repo: str) -> list[str]:
    """A repo's commit IDs, oldest first (row ids grow as commits are made)."""
    repo_id = require_repo(store, repo).id
    rows = store.db.all("SELECT commit_id FROM commits WHERE repo_id = ? ORDER BY id", (repo_id,))
    return [row["commit_id"] for row in rows]


def data_version(store: Store) -> int:
    """SQLite's data_version: changes when another connection commits to the store."""
    return int(store.db.scalar("PRAGMA data_version"))


def wait_commit(store: Store, ref: CommitRef, timeout: float | None = None) -> list[CommitInfo]:
    """Wait until the commit and every commit of its set downstream of it are finished."""
    commit = resolve_commit(store, ref)
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.01
    while True:
        waited = [commit, *provenance.subvenance_in_set(store, commit)]
        fresh = [commit_by_row_id(store, c.id) for c in waited]
        if all(c.finished is not None for c in fresh):
            return [commit_info(store, c) for c in fresh]
        if deadline is not None and time.monotonic() > deadline:
            open_ = [c.name for c in fresh if c.finished is None]
            raise Timeout(
                f"still open after {timeout}s: {', '.join(open_)}",
                "finish them, or wait longer with --timeout",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def start_auto_commit(store: Store, repo: str, branch: str) -> CommitRecord:
    """A new commit set starting at this branch: an open AUTO commit recording its inputs'
    current heads, propagated downstream (what creating or updating a pipeline does)."""
    with store.db.atomic():
        repo_r = require_repo(store, repo)
        branch_r = find_branch(store, repo_r, branch)
        head = branch_r.head if branch_r else None
        parent = commit_by_row_id(store, head) if head else None
        return heads.open_commit(store, repo_r, branch, parent, Origin.AUTO)


def set_content(store: Store, row_id: int, tree: str) -> None:
    """Replace an open commit's content (a job resets its output to the last good one);
    puts staged onto it are replaced too."""
    with store.db.atomic():
        if store.db.one("SELECT 1 FROM commits WHERE id = ? AND finished IS NULL", (row_id,)):
            staged.discard(store, row_id)
            store.db.execute("UPDATE commits SET tree = ? WHERE id = ?", (tree, row_id))


def clear_commit(store: Store, ref: CommitRef) -> CommitRecord:
    """Undo what an open commit changed: its content is its parent's again (pachd's
    ClearCommit drops the commit's own file sets)."""
    from pachlite.pfs.tree import EMPTY_TREE

    with store.db.atomic():
        commit = resolve_commit(store, ref)
        if commit.finished is not None:
            raise Conflict(
                f"cannot clear finished commit {commit.name}", "start a new commit to change it"
            )
        parent = commit_by_row_id(store, commit.parent) if commit.parent else None
        set_content(store, commit.id, parent.tree if parent else EMPTY_TREE)
        return commit_by_row_id(store, commit.id)


def close_commit(store: Store, row_id: int, *, error: str | None = None) -> None:
    """Finish a commit on behalf of whatever computes it (a job), with or without an error;
    puts staged onto it are folded into its tree first."""
    with store.db.atomic():
        staged.settle(store, row_id)
        now = time.time()
        store.db.execute(
            "UPDATE commits SET finishing = ?, finished = ?, error = ? "
            "WHERE id = ? AND finished IS NULL",
            (now, now, error, row_id),
        )
