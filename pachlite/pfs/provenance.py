"""Reading provenance: between branches and between commits (docs/semantics.md §5.2).

Branch provenance says which branches a branch is computed from; commit provenance, which
commits a commit was made from. Both are written where heads move (`heads`); this module only
reads them.
"""

from __future__ import annotations

from collections import deque

from pachlite.model import ProvenanceNode
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commits_where
from pachlite.pfs.store import Store


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


def upstream(store: Store, commit: CommitRecord) -> list[CommitRecord]:
    """The commits this commit was made from (direct provenance)."""
    return commits_where(
        store,
        "JOIN commit_provenance p ON p.upstream = c.id WHERE p.downstream = ? ORDER BY r.name",
        (commit.id,),
    )


def downstream(store: Store, commit: CommitRecord) -> list[CommitRecord]:
    """The commits made from this commit (direct subvenance)."""
    return commits_where(
        store,
        "JOIN commit_provenance p ON p.downstream = c.id WHERE p.upstream = ? ORDER BY r.name",
        (commit.id,),
    )


def subvenance_in_set(store: Store, commit: CommitRecord) -> list[CommitRecord]:
    """Commits of the same set that are (transitively) downstream of this one."""
    found: dict[int, CommitRecord] = {}
    queue = deque([commit])
    while queue:
        for below in downstream(store, queue.popleft()):
            if below.commit_id == commit.commit_id and below.id not in found:
                found[below.id] = below
                queue.append(below)
    return list(found.values())


def full_subvenance(store: Store, commit: CommitRecord) -> list[CommitRecord]:
    """Every commit made, directly or not, from this one."""
    found: dict[int, CommitRecord] = {}
    queue = deque([commit])
    while queue:
        for below in downstream(store, queue.popleft()):
            if below.id not in found:
                found[below.id] = below
                queue.append(below)
    return list(found.values())


def provenance_tree(store: Store, commit: CommitRecord, depth: int = -1) -> ProvenanceNode:
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
        (commit.id,),
    )
    ids = {commit.id} | {e[1] for e in edges}
    marks = ",".join("?" * len(ids))
    records = {c.id: c for c in commits_where(store, f"WHERE c.id IN ({marks})", [*ids])}
    children: dict[int, list[int]] = {}
    for down, up in edges:
        children.setdefault(down, []).append(up)

    def build(row_id: int, level: int) -> ProvenanceNode:
        node = records[row_id]
        ups = [] if level == 0 else sorted(children.get(row_id, []), key=lambda i: records[i].repo)
        return ProvenanceNode(
            commit=node.name,
            branch=node.branch,
            origin=node.origin,
            inputs=[build(u, level - 1) for u in ups],
        )

    return build(commit.id, depth)
