"""Turning names (repo, branch, commit references) into rows, with errors that suggest fixes."""

from __future__ import annotations

from pachlite.errors import BranchNotFound, CommitNotFound, RepoNotFound, did_you_mean
from pachlite.pfs.db import Row
from pachlite.pfs.store import Store
from pachlite.uri import CommitRef

COMMIT_SELECT = "SELECT c.*, r.name AS repo FROM commits c JOIN repos r ON r.id = c.repo_id"


def repo_row(store: Store, name: str) -> Row:
    row = store.db.one("SELECT * FROM repos WHERE name = ?", (name,))
    if row is None:
        names = [r["name"] for r in store.db.all("SELECT name FROM repos")]
        raise RepoNotFound(
            f"repo {name!r} not found{did_you_mean(name, names)}",
            f"create it with `pachlite create repo {name}` or see `pachlite list repo`",
        )
    return row


def branch_row(store: Store, repo: Row, name: str) -> Row | None:
    return store.db.one("SELECT * FROM branches WHERE repo_id = ? AND name = ?", (repo["id"], name))


def require_branch(store: Store, repo: Row, name: str) -> Row:
    row = branch_row(store, repo, name)
    if row is None:
        names = [
            b["name"]
            for b in store.db.all("SELECT name FROM branches WHERE repo_id = ?", (repo["id"],))
        ]
        raise BranchNotFound(
            f"branch {repo['name']}@{name} not found{did_you_mean(name, names)}",
            f"see `pachlite list branch {repo['name']}`",
        )
    return row


def commit_by_row_id(store: Store, row_id: int) -> Row:
    row = store.db.one(f"{COMMIT_SELECT} WHERE c.id = ?", (row_id,))
    if row is None:
        raise CommitNotFound(f"commit #{row_id} is missing", "run `pachlite fsck`")
    return row


def commit_by_id(store: Store, repo: Row, commit_id: str) -> Row | None:
    return store.db.one(
        f"{COMMIT_SELECT} WHERE c.repo_id = ? AND c.commit_id = ?", (repo["id"], commit_id)
    )


def resolve_commit(store: Store, ref: CommitRef) -> Row:
    """The commit a reference names, after any `.N` and `^N` walk."""
    repo = repo_row(store, ref.repo)
    if ref.commit:
        row = commit_by_id(store, repo, ref.commit)
        if row is None:
            raise CommitNotFound(
                f"commit {ref.repo}@{ref.commit} not found",
                f"see `pachlite list commit {ref.repo}`",
            )
    elif ref.branch:
        branch = require_branch(store, repo, ref.branch)
        if branch["head"] is None:
            raise CommitNotFound(
                f"branch {ref.repo}@{ref.branch} has no commits yet",
                f"put a file first: `pachlite put file {ref.repo}@{ref.branch}:/path -f FILE`",
            )
        row = commit_by_row_id(store, branch["head"])
        if ref.nth is not None:
            row = _nth_from_first(store, row, ref)
    else:
        raise CommitNotFound(
            f"{ref.repo!r} names a repo, not a commit", f"write {ref.repo}@master or a commit ID"
        )
    for step in range(ref.ancestors):
        if row["parent"] is None:
            raise CommitNotFound(
                f"{ref} goes back {ref.ancestors} commits but the history has only {step}",
                f"see `pachlite list commit {ref.repo}@{ref.ref}`",
            )
        row = commit_by_row_id(store, row["parent"])
    return row


def ancestry(store: Store, head: Row) -> list[Row]:
    """The head and its ancestors, newest first."""
    rows = store.db.all(
        f"""WITH RECURSIVE chain(id, depth) AS (
                SELECT ?, 0 UNION ALL
                SELECT c.parent, chain.depth + 1 FROM commits c JOIN chain ON c.id = chain.id
                WHERE c.parent IS NOT NULL)
            {COMMIT_SELECT} JOIN chain ON chain.id = c.id ORDER BY chain.depth""",
        (head["id"],),
    )
    return rows


def _nth_from_first(store: Store, head: Row, ref: CommitRef) -> Row:
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
