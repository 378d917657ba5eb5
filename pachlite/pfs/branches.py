"""Branches: movable heads with provenance (docs/semantics.md §5.1, §5.3 `create branch`)."""

from __future__ import annotations

from pachlite.errors import Conflict, InvalidArgument
from pachlite.model import BranchInfo, Origin
from pachlite.paths import validate_name
from pachlite.pfs import heads, metadata, provenance
from pachlite.pfs.records import BranchRecord
from pachlite.pfs.refs import (
    commit_by_row_id,
    find_branch,
    require_branch,
    require_repo,
    resolve_commit,
)
from pachlite.pfs.store import Store
from pachlite.uri import CommitRef


def create_branch(
    store: Store,
    repo: str,
    name: str,
    *,
    head: CommitRef | None = None,
    provenance_of: list[tuple[str, str]] | None = None,
) -> BranchInfo:
    """Create or update a branch; a new head or new provenance starts a commit set."""
    validate_name("branch", name)
    with store.db.atomic():
        repo_r = require_repo(store, repo)
        existing = find_branch(store, repo_r, name)
        head_r = None
        if head is not None:
            if head.repo != repo:
                raise InvalidArgument(
                    f"head {head} is in another repo than {repo}", "give a commit of this repo"
                )
            head_r = resolve_commit(store, head)
        if existing is None:
            store.db.execute(
                "INSERT INTO branches (repo_id, name) VALUES (?, ?)", (repo_r.id, name)
            )
            existing = require_branch(store, repo_r, name)
        branch_id = existing.id
        changed_provenance = False
        if provenance_of is not None:
            changed_provenance = _set_provenance(store, repo, name, branch_id, provenance_of)
        if head_r is not None:
            # The head moves to a commit that exists: a new set, with nothing new to open here.
            heads.move_head(store, repo_r.id, name, head_r.id)
            heads.propagate(store, heads.new_commit_set(store), [branch_id])
        elif changed_provenance and provenance_of:
            # New provenance means new inputs: the branch gets a commit that records them.
            parent = commit_by_row_id(store, existing.head) if existing.head else None
            heads.open_commit(store, repo_r, name, parent, Origin.AUTO)
        return branch_info(store, require_branch(store, repo_r, name))


def set_provenance(store: Store, repo: str, name: str, upstream: list[tuple[str, str]]) -> None:
    """Create the branch if needed and set what it is computed from, without a new commit
    (a pipeline then starts its own commit set)."""
    validate_name("branch", name)
    with store.db.atomic():
        repo_r = require_repo(store, repo)
        if find_branch(store, repo_r, name) is None:
            store.db.execute(
                "INSERT INTO branches (repo_id, name) VALUES (?, ?)", (repo_r.id, name)
            )
        _set_provenance(store, repo, name, require_branch(store, repo_r, name).id, upstream)


def ensure_branch(store: Store, repo: str, name: str) -> None:
    with store.db.atomic():
        repo_r = require_repo(store, repo)
        if find_branch(store, repo_r, name) is None:
            store.db.execute(
                "INSERT INTO branches (repo_id, name) VALUES (?, ?)", (repo_r.id, name)
            )


def _set_provenance(
    store: Store, repo: str, name: str, branch_id: int, provenance_of: list[tuple[str, str]]
) -> bool:
    upstream_ids: list[int] = []
    for up_repo, up_branch in provenance_of:
        if (up_repo, up_branch) == (repo, name):
            raise InvalidArgument(f"{repo}@{name} cannot be in its own provenance")
        up = require_branch(store, require_repo(store, up_repo), up_branch)
        if branch_id in provenance.upstream_branches(store, up.id):
            raise InvalidArgument(
                f"{up_repo}@{up_branch} is downstream of {repo}@{name}; the provenance would "
                "form a cycle",
                "provenance must be a DAG",
            )
        upstream_ids.append(up.id)
    before = set(provenance.upstream_branches(store, branch_id, direct=True))
    store.db.execute("DELETE FROM branch_provenance WHERE downstream = ?", (branch_id,))
    store.db.executemany(
        "INSERT OR IGNORE INTO branch_provenance (downstream, upstream) VALUES (?, ?)",
        [(branch_id, up) for up in upstream_ids],
    )
    return before != set(upstream_ids)


def _names(store: Store, branch_ids: list[int]) -> list[str]:
    names = []
    for branch_id in branch_ids:
        row = store.db.one(
            "SELECT r.name AS repo, b.name FROM branches b JOIN repos r ON r.id = b.repo_id "
            "WHERE b.id = ?",
            (branch_id,),
        )
        assert row is not None
        names.append(f"{row['repo']}@{row['name']}")
    return names


def branch_info(store: Store, branch: BranchRecord) -> BranchInfo:
    repo = store.db.scalar("SELECT name FROM repos WHERE id = ?", (branch.repo_id,))
    head = commit_by_row_id(store, branch.head).commit_id if branch.head else None
    return BranchInfo(
        repo=repo,
        name=branch.name,
        head=head,
        direct_provenance=_names(
            store, provenance.upstream_branches(store, branch.id, direct=True)
        ),
        provenance=_names(store, provenance.upstream_branches(store, branch.id)),
        subvenance=_names(store, provenance.subvenant_branches(store, branch.id)),
        metadata=metadata.read(store, "branch", branch.id),
    )


def list_branches(store: Store, repo: str) -> list[BranchInfo]:
    repo_r = require_repo(store, repo)
    rows = store.db.all("SELECT * FROM branches WHERE repo_id = ? ORDER BY name", (repo_r.id,))
    return [branch_info(store, BranchRecord.from_row(r)) for r in rows]


def inspect_branch(store: Store, repo: str, name: str) -> BranchInfo:
    return branch_info(store, require_branch(store, require_repo(store, repo), name))


def delete_branch(store: Store, repo: str, name: str, *, force: bool = False) -> None:
    with store.db.atomic():
        branch = require_branch(store, require_repo(store, repo), name)
        below = provenance.subvenant_branches(store, branch.id, direct=True)
        if below:
            if not force:
                raise Conflict(
                    f"{repo}@{name} is in the provenance of {', '.join(_names(store, below))}",
                    "delete those first, or pass --force to cut the link",
                )
            store.db.execute("DELETE FROM branch_provenance WHERE upstream = ?", (branch.id,))
        store.db.execute("DELETE FROM branches WHERE id = ?", (branch.id,))
