"""Removing history a whole commit set at a time (docs/semantics.md §5.3, `squash`/`delete commit`).

squash: the set's commits disappear and their changes fold into their children. Because every
commit stores its full content, the children keep exactly the content they had; only the
parent links are rewired. Not allowed on branch heads (there is no child to fold into).

delete: the set's commits are dropped and branch heads move back to their parents. Allowed
only when no commit of the set has children, since those children would lose their base.

Both refuse when a commit outside the set was made from one inside it.
"""

from __future__ import annotations

from pachlite.errors import CommitNotFound, Conflict
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commits_where
from pachlite.pfs.store import Store


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


def _remove(store: Store, set_commits: list[CommitRecord], set_id: str) -> None:
    ids = [c.id for c in set_commits]
    marks = ",".join("?" * len(ids))
    store.db.execute(f"DELETE FROM commit_provenance WHERE downstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commit_provenance WHERE upstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commits WHERE id IN ({marks})", ids)
    store.db.execute("DELETE FROM commit_sets WHERE id = ?", (set_id,))


def squash_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        set_commits = _set_commits(store, set_id)
        for commit in set_commits:
            head_of = store.db.all("SELECT name FROM branches WHERE head = ?", (commit.id,))
            if head_of:
                raise Conflict(
                    f"cannot squash {commit.name}: it is the head of branch "
                    f"{commit.repo}@{head_of[0]['name']}, so there is no child to fold it into",
                    "use `pachlite delete commit` to drop the newest commit instead",
                )
            if commit.finished is None:
                raise Conflict(
                    f"cannot squash {commit.name}: it is still open",
                    "finish it first",
                )
        _refuse_outside_dependents(store, set_id, "squash")
        for commit in set_commits:
            store.db.execute(
                "UPDATE commits SET parent = ? WHERE parent = ?", (commit.parent, commit.id)
            )
        _remove(store, set_commits, set_id)
        return [c.name for c in set_commits]


def delete_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        set_commits = _set_commits(store, set_id)
        for commit in set_commits:
            child = store.db.one("SELECT commit_id FROM commits WHERE parent = ?", (commit.id,))
            if child is not None:
                raise Conflict(
                    f"cannot delete {commit.name}: commit {child[0]} is built on it",
                    "use `pachlite squash commit` to fold it into its children",
                )
        _refuse_outside_dependents(store, set_id, "delete")
        for commit in set_commits:
            store.db.execute(
                "UPDATE branches SET head = ? WHERE head = ?", (commit.parent, commit.id)
            )
        _remove(store, set_commits, set_id)
        return [c.name for c in set_commits]
