"""Removing history a whole commit set at a time (docs/semantics.md §5.3, `squash`/`delete commit`).

squash: the set's commits disappear and their changes fold into their children. Because every
commit stores its full content, the children keep exactly the content they had; only the
parent links are rewired. Not allowed on branch heads (there is no child to fold into).

delete: the set's commits are dropped and branch heads move back to their parents. Allowed
only when no commit of the set has children, since those children would lose their base.

Both refuse when a commit outside the set was made from one inside it. `squash_commit` and
`delete_commit` do the same for one commit and, with recursive, every commit made from it
(pachd's SquashCommit and DropCommit), whatever their sets.
"""

from __future__ import annotations

from pachlite.errors import CommitNotFound, Conflict
from pachlite.pfs import provenance
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commits_where, resolve_commit
from pachlite.pfs.store import Store
from pachlite.uri import CommitRef


def _set_commits(store: Store, set_id: str) -> list[CommitRecord]:
    found = commits_where(store, "WHERE c.commit_id = ?", (set_id,))
    if not found:
        raise CommitNotFound(f"no commit set {set_id}", "see `pachlite list commit`")
    return found


def _refuse_outside_dependents(store: Store, set_id: str, verb: str) -> None:
    dependents = commits_where(
        store,
        """JOIN commit_provenance p ON p.downstream = c.id JOIN commits up ON up.id = p.upstream
           WHERE up.commit_id = ? AND c.commit_id != ?""",
        (set_id, set_id),
    )
    if dependents:
        names = ", ".join(sorted({c.name for c in dependents}))
        raise Conflict(
            f"cannot {verb} commit set {set_id}: {names} were made from it",
            f"{verb} those commit sets first",
        )


def _remove(store: Store, commits: list[CommitRecord]) -> None:
    """Delete the commits, and their sets once no commit is left in them."""
    ids = [c.id for c in commits]
    marks = ",".join("?" * len(ids))
    store.db.execute(f"DELETE FROM commit_provenance WHERE downstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commit_provenance WHERE upstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commits WHERE id IN ({marks})", ids)
    set_ids = sorted({c.commit_id for c in commits})
    store.db.execute(
        f"""DELETE FROM commit_sets WHERE id IN ({",".join("?" * len(set_ids))})
            AND NOT EXISTS (SELECT 1 FROM commits WHERE commit_id = commit_sets.id)""",
        set_ids,
    )


def _refuse_unsquashable(store: Store, commits: list[CommitRecord]) -> None:
    for commit in commits:
        head_of = store.db.all("SELECT name FROM branches WHERE head = ?", (commit.id,))
        if head_of:
            raise Conflict(
                f"cannot squash {commit.name}: it is the head of branch "
                f"{commit.repo}@{head_of[0]['name']}, so there is no child to fold it into",
                "use `pachlite delete commit` to drop the newest commit instead",
            )
        if commit.finished is None:
            raise Conflict(f"cannot squash {commit.name}: it is still open", "finish it first")


def _squash(store: Store, commits: list[CommitRecord]) -> list[str]:
    # The parent as it is now: one squashed commit may be the parent of another.
    for commit in commits:
        store.db.execute(
            "UPDATE commits SET parent = (SELECT parent FROM commits WHERE id = ?) "
            "WHERE parent = ?",
            (commit.id, commit.id),
        )
    _remove(store, commits)
    return [c.name for c in commits]


def _refuse_children(store: Store, commits: list[CommitRecord]) -> None:
    for commit in commits:
        child = store.db.one("SELECT commit_id FROM commits WHERE parent = ?", (commit.id,))
        if child is not None:
            raise Conflict(
                f"cannot delete {commit.name}: commit {child[0]} is built on it",
                "use `pachlite squash commit` to fold it into its children",
            )


def _drop(store: Store, commits: list[CommitRecord]) -> list[str]:
    for commit in commits:
        store.db.execute("UPDATE branches SET head = ? WHERE head = ?", (commit.parent, commit.id))
    _remove(store, commits)
    return [c.name for c in commits]


def squash_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        set_commits = _set_commits(store, set_id)
        _refuse_unsquashable(store, set_commits)
        _refuse_outside_dependents(store, set_id, "squash")
        return _squash(store, set_commits)


def delete_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        set_commits = _set_commits(store, set_id)
        _refuse_children(store, set_commits)
        _refuse_outside_dependents(store, set_id, "delete")
        return _drop(store, set_commits)


def _with_subvenance(
    store: Store, ref: CommitRef, verb: str, recursive: bool
) -> list[CommitRecord]:
    commit = resolve_commit(store, ref)
    commits = [commit, *provenance.full_subvenance(store, commit)]
    if len(commits) > 1 and not recursive:
        raise Conflict(
            f"cannot {verb} {commit.name}: {len(commits) - 1} commits were made from it",
            f"{verb} them together (recursive)",
        )
    return commits


def squash_commit(store: Store, ref: CommitRef, *, recursive: bool = False) -> list[str]:
    """Squash one commit (and, with recursive, every commit made from it), not its set."""
    with store.db.atomic():
        commits = _with_subvenance(store, ref, "squash", recursive)
        _refuse_unsquashable(store, commits)
        return _squash(store, commits)


def delete_commit(store: Store, ref: CommitRef, *, recursive: bool = False) -> list[str]:
    """Drop one commit (and, with recursive, every commit made from it), not its set."""
    with store.db.atomic():
        commits = _with_subvenance(store, ref, "delete", recursive)
        _refuse_children(store, commits)
        return _drop(store, commits)
