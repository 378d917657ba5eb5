"""Removing history a whole commit set at a time (reference §5.3, `squash`/`delete commit`).

squash: the set's commits disappear and their changes fold into their children. Because every
commit stores its full content, the children keep exactly the content they had; only the
parent links are rewired. Not allowed on branch heads (there is no child to fold into).

delete: the set's commits are dropped and branch heads move back to their parents. Allowed
only when no commit of the set has children, since those children would lose their base.

Both refuse when a commit outside the set was made from one inside it.
"""

from __future__ import annotations

from pachlite.errors import CommitNotFound, Conflict
from pachlite.pfs.db import Row
from pachlite.pfs.refs import COMMIT_SELECT
from pachlite.pfs.store import Store


def _set_rows(store: Store, set_id: str) -> list[Row]:
    rows = store.db.all(f"{COMMIT_SELECT} WHERE c.commit_id = ?", (set_id,))
    if not rows:
        raise CommitNotFound(f"no commit set {set_id}", "see `pachlite list commit`")
    return rows


def _refuse_outside_dependents(store: Store, set_id: str, verb: str) -> None:
    dependents = store.db.all(
        f"""{COMMIT_SELECT} JOIN commit_provenance p ON p.downstream = c.id
            JOIN commits up ON up.id = p.upstream
            WHERE up.commit_id = ? AND c.commit_id != ?""",
        (set_id, set_id),
    )
    if dependents:
        names = ", ".join(sorted({f"{r['repo']}@{r['commit_id']}" for r in dependents}))
        raise Conflict(
            f"cannot {verb} commit set {set_id}: {names} were made from it",
            f"{verb} those commit sets first",
        )


def _remove(store: Store, rows: list[Row], set_id: str) -> None:
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    store.db.execute(f"DELETE FROM commit_provenance WHERE downstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commit_provenance WHERE upstream IN ({marks})", ids)
    store.db.execute(f"DELETE FROM commits WHERE id IN ({marks})", ids)
    store.db.execute("DELETE FROM commit_sets WHERE id = ?", (set_id,))


def squash_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        rows = _set_rows(store, set_id)
        for row in rows:
            head_of = store.db.all("SELECT name FROM branches WHERE head = ?", (row["id"],))
            if head_of:
                raise Conflict(
                    f"cannot squash {row['repo']}@{set_id}: it is the head of branch "
                    f"{row['repo']}@{head_of[0]['name']}, so there is no child to fold it into",
                    "use `pachlite delete commit` to drop the newest commit instead",
                )
            if row["finished"] is None:
                raise Conflict(
                    f"cannot squash {row['repo']}@{set_id}: it is still open",
                    "finish it first",
                )
        _refuse_outside_dependents(store, set_id, "squash")
        for row in rows:
            store.db.execute(
                "UPDATE commits SET parent = ? WHERE parent = ?", (row["parent"], row["id"])
            )
        _remove(store, rows, set_id)
        return [f"{r['repo']}@{set_id}" for r in rows]


def delete_commit_set(store: Store, set_id: str) -> list[str]:
    with store.db.atomic():
        rows = _set_rows(store, set_id)
        for row in rows:
            child = store.db.one("SELECT commit_id FROM commits WHERE parent = ?", (row["id"],))
            if child is not None:
                raise Conflict(
                    f"cannot delete {row['repo']}@{set_id}: commit {child[0]} is built on it",
                    "use `pachlite squash commit` to fold it into its children",
                )
        _refuse_outside_dependents(store, set_id, "delete")
        for row in rows:
            store.db.execute(
                "UPDATE branches SET head = ? WHERE head = ?", (row["parent"], row["id"])
            )
        _remove(store, rows, set_id)
        return [f"{r['repo']}@{set_id}" for r in rows]
