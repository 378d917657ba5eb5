"""Turning names (repo, branch, commit references) into records, with errors that suggest fixes.

Every commit record handed out is settled: an open commit's staged puts are folded into its
tree first (pachlite.pfs.staged), so `record.tree` is the commit's whole content. Only the put
path itself asks for unsettled records (`settle=False`), to stage more.
"""

from __future__ import annotations

from collections.abc import Sequence

from pachlite.errors import BranchNotFound, CommitNotFound, RepoNotFound, did_you_mean
from pachlite.paths import DEFAULT_PROJECT, split_key
from pachlite.pfs import staged
from pachlite.pfs.projects import require_project
from pachlite.pfs.records import BranchRecord, CommitRecord, RepoRecord
from pachlite.pfs.store import Store
from pachlite.uri import CommitRef

COMMIT_SELECT = "SELECT c.*, r.name AS repo FROM commits c JOIN repos r ON r.id = c.repo_id"


def settled(store: Store, commit: CommitRecord) -> CommitRecord:
    """The commit with its staged puts in its tree (finished commits never have any)."""
    if commit.finished is not None or not staged.has_staged(store, commit.id):
        return commit
    root = staged.settle(store, commit.id)
    if root is None:
        return commit
    import dataclasses  # only here: with inspect, ~10 ms of every start that reads a commit

    return dataclasses.replace(commit, tree=root, staged_bytes=0)


def commits_where(
    store: Store, sql: str, params: Sequence[object] = (), *, settle: bool = True
) -> list[CommitRecord]:
    """The commits a query ending `COMMIT_SELECT` (joins, WHERE, ORDER BY) selects."""
    found = [CommitRecord.from_row(r) for r in store.db.all(f"{COMMIT_SELECT} {sql}", params)]
    return [settled(store, c) for c in found] if settle else found


def require_repo(store: Store, name: str) -> RepoRecord:
    row = store.db.one("SELECT * FROM repos WHERE name = ?", (name,))
    if row is None:
        project = split_key(name)[0]
        if project != DEFAULT_PROJECT:
            require_project(store, project)
        names = [r["name"] for r in store.db.all("SELECT name FROM repos")]
        raise RepoNotFound(
            f"repo {name!r} not found{did_you_mean(name, names)}",
            f"create it with `pachlite create repo {name}` or see `pachlite list repo`",
        )
    return RepoRecord.from_row(row)


def find_branch(store: Store, repo: RepoRecord, name: str) -> BranchRecord | None:
    row = store.db.one("SELECT * FROM branches WHERE repo_id = ? AND name = ?", (repo.id, name))
    return None if row is None else BranchRecord.from_row(row)


def require_branch(store: Store, repo: RepoRecord, name: str) -> BranchRecord:
    branch = find_branch(store, repo, name)
    if branch is None:
        names = [
            b["name"]
            for b in store.db.all("SELECT name FROM branches WHERE repo_id = ?", (repo.id,))
        ]
        raise BranchNotFound(
            f"branch {repo.name}@{name} not found{did_you_mean(name, names)}",
            f"see `pachlite list branch {repo.name}`",
        )
    return branch


def commit_by_row_id(store: Store, row_id: int, *, settle: bool = True) -> CommitRecord:
    row = store.db.one(f"{COMMIT_SELECT} WHERE c.id = ?", (row_id,))
    if row is None:
        raise CommitNotFound(f"commit #{row_id} is missing", "run `pachlite fsck`")
    commit = CommitRecord.from_row(row)
    return settled(store, commit) if settle else commit


def commit_by_id(
    store: Store, repo: RepoRecord, commit_id: str, *, settle: bool = True
) -> CommitRecord | None:
    found = commits_where(
        store, "WHERE c.repo_id = ? AND c.commit_id = ?", (repo.id, commit_id), settle=settle
    )
    return found[0] if found else None


def resolve_commit(store: Store, ref: CommitRef, *, settle: bool = True) -> CommitRecord:
    """The commit a reference names, after any `.N` and `^N` walk."""
    repo = require_repo(store, ref.repo)
    if ref.commit:
        found = commit_by_id(store, repo, ref.commit, settle=settle)
        if found is None:
            raise CommitNotFound(
                f"commit {ref.repo}@{ref.commit} not found",
                f"see `pachlite list commit {ref.repo}`",
            )
        commit = found
    elif ref.branch:
        branch = require_branch(store, repo, ref.branch)
        if branch.head is None:
            raise CommitNotFound(
                f"branch {ref.repo}@{ref.branch} has no commits yet",
                f"put a file first: `pachlite put file {ref.repo}@{ref.branch}:/path -f FILE`",
            )
        commit = commit_by_row_id(store, branch.head, settle=settle)
        if ref.nth is not None:
            commit = _nth_from_first(store, commit, ref)
    else:
        raise CommitNotFound(
            f"{ref.repo!r} names a repo, not a commit", f"write {ref.repo}@master or a commit ID"
        )
    for step in range(ref.ancestors):
        if commit.parent is None:
            raise CommitNotFound(
                f"{ref} goes back {ref.ancestors} commits but the history has only {step}",
                f"see `pachlite list commit {ref.repo}@{ref.ref}`",
            )
        commit = commit_by_row_id(store, commit.parent, settle=settle)
    return commit


def ancestry(store: Store, head: CommitRecord) -> list[CommitRecord]:
    """The head and its ancestors, newest first."""
    rows = store.db.all(
        f"""WITH RECURSIVE chain(id, depth) AS (
                SELECT ?, 0 UNION ALL
                SELECT c.parent, chain.depth + 1 FROM commits c JOIN chain ON c.id = chain.id
                WHERE c.parent IS NOT NULL)
            {COMMIT_SELECT} JOIN chain ON chain.id = c.id ORDER BY chain.depth""",
        (head.id,),
    )
    return [settled(store, CommitRecord.from_row(r)) for r in rows]


def _nth_from_first(store: Store, head: CommitRecord, ref: CommitRef) -> CommitRecord:
    chain = ancestry(store, head)
    assert ref.nth is not None
    if ref.nth > len(chain):
        raise CommitNotFound(
            f"{ref.repo}@{ref.branch} has {len(chain)} commits, so .{ref.nth} does not exist",
            f"see `pachlite list commit {ref.repo}@{ref.branch}`",
        )
    return chain[len(chain) - ref.nth]


def repo_exists(store: Store, name: str) -> bool:
    return store.db.one("SELECT 1 FROM repos WHERE name = ?", (name,)) is not None


def repo_names(store: Store) -> list[str]:
    """Every repo's name, of every type."""
    return [r["name"] for r in store.db.all("SELECT name FROM repos")]
