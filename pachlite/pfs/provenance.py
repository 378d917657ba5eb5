"""Provenance between branches and between commits, and propagation (reference §5.2).

Branch provenance says which branches a branch is computed from. When heads move, every
downstream branch gets a new open AUTO commit with the same ID (one commit set per upstream
change); its direct provenance is, for each upstream branch, the new commit of this set when
that branch advanced, or its current head otherwise.
"""

from __future__ import annotations

from collections import deque

from pachlite.model import Origin, ProvenanceNode
from pachlite.pfs.db import Row
from pachlite.pfs.refs import COMMIT_SELECT, commit_by_row_id
from pachlite.pfs.store import Store


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
    from pachlite.pfs.commits import insert_commit  # commits uses propagate; break the cycle

    created: list[int] = []
    for branch_id in downstream_branches(store, moved):
        branch = store.db.one(
            "SELECT b.*, r.id AS rid FROM branches b JOIN repos r ON r.id = b.repo_id "
            "WHERE b.id = ?",
            (branch_id,),
        )
        assert branch is not None
        if store.db.one(
            "SELECT 1 FROM commits WHERE repo_id = ? AND commit_id = ?", (branch["rid"], set_id)
        ):
            continue  # this repo already has its commit in the set (two branches downstream)
        parent = commit_by_row_id(store, branch["head"]) if branch["head"] else None
        row_id = insert_commit(store, branch["rid"], set_id, branch["name"], parent, Origin.AUTO)
        store.db.execute("UPDATE branches SET head = ? WHERE id = ?", (row_id, branch_id))
        record_branch_provenance(store, branch_id, row_id)
        created.append(row_id)
    return created


def upstream_branches(store: Store, branch_id: int, *, direct: bool = False) -> list[int]:
    return _closure(store, branch_id, "upstream", "downstream", direct)


def subvenant_branches(store: Store, branch_id: int, *, direct: bool = False) -> list[int]:
    return _closure(store, branch_id, "downstream", "upstream", direct)


def _closure(store: Store, start: int, want: str, have: str, direct: bool) -> list[int]:
    seen: list[int] = []
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for row in store.db.all(
            f"SELECT {want} FROM branch_provenance WHERE {have} = ? ORDER BY {want}", (current,)
        ):
            if row[0] not in seen:
                seen.append(row[0])
                if not direct:
                    queue.append(row[0])
    return seen


def upstream(store: Store, commit: Row) -> list[Row]:
    """The commits this commit was made from (direct provenance)."""
    return store.db.all(
        f"{COMMIT_SELECT} JOIN commit_provenance p ON p.upstream = c.id "
        "WHERE p.downstream = ? ORDER BY r.name",
        (commit["id"],),
    )


def downstream(store: Store, commit: Row) -> list[Row]:
    """The commits made from this commit (direct subvenance)."""
    return store.db.all(
        f"{COMMIT_SELECT} JOIN commit_provenance p ON p.downstream = c.id "
        "WHERE p.upstream = ? ORDER BY r.name",
        (commit["id"],),
    )


def subvenance_in_set(store: Store, commit: Row) -> list[Row]:
    """Commits of the same set that are (transitively) downstream of this one."""
    found: dict[int, Row] = {}
    queue = deque([commit])
    while queue:
        for row in downstream(store, queue.popleft()):
            if row["commit_id"] == commit["commit_id"] and row["id"] not in found:
                found[row["id"]] = row
                queue.append(row)
    return list(found.values())


def full_subvenance(store: Store, commit: Row) -> list[Row]:
    """Every commit made, directly or not, from this one."""
    found: dict[int, Row] = {}
    queue = deque([commit])
    while queue:
        for row in downstream(store, queue.popleft()):
            if row["id"] not in found:
                found[row["id"]] = row
                queue.append(row)
    return list(found.values())


def provenance_tree(store: Store, commit: Row, depth: int = -1) -> ProvenanceNode:
    """The commit and, recursively, what it was made from, down to the roots.

    One recursive query fetches every edge; the tree is then assembled in memory, so the cost
    is one round trip whatever the depth.
    """
    edges = store.db.all(
        """WITH RECURSIVE prov(id) AS (
               SELECT ? UNION
               SELECT p.upstream FROM commit_provenance p JOIN prov ON p.downstream = prov.id)
           SELECT p.downstream, p.upstream FROM commit_provenance p
           WHERE p.downstream IN (SELECT id FROM prov)""",
        (commit["id"],),
    )
    ids = {commit["id"]} | {e[1] for e in edges}
    marks = ",".join("?" * len(ids))
    rows = {r["id"]: r for r in store.db.all(f"{COMMIT_SELECT} WHERE c.id IN ({marks})", [*ids])}
    children: dict[int, list[int]] = {}
    for down, up in edges:
        children.setdefault(down, []).append(up)

    def build(row_id: int, level: int) -> ProvenanceNode:
        row = rows[row_id]
        ups = [] if level == 0 else sorted(children.get(row_id, []), key=lambda i: rows[i]["repo"])
        return ProvenanceNode(
            commit=f"{row['repo']}@{row['commit_id']}",
            branch=row["branch"],
            origin=Origin(row["origin"]),
            inputs=[build(u, level - 1) for u in ups],
        )

    return build(commit["id"], depth)
