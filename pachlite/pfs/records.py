"""What pfs storage hands out: one frozen record per row of repos, branches and commits.

Rows never leave `pachlite.pfs`: every lookup turns its `sqlite3.Row` into one of these at the
storage edge, so callers read typed attributes (`commit.tree`), not column names, and a renamed
column fails type checking instead of at run time.
"""

from __future__ import annotations

from pachlite.lazyclass import dataclass
from pachlite.model import Origin
from pachlite.pfs.db import Row


@dataclass(frozen=True)
class RepoRecord:
    id: int
    name: str
    type: str
    description: str
    created: float
    project: str = "default"

    @classmethod
    def from_row(cls, row: Row) -> RepoRecord:
        return cls(
            row["id"], row["name"], row["type"], row["description"], row["created"],
            row["project"],
        )  # fmt: skip


@dataclass(frozen=True)
class BranchRecord:
    id: int
    repo_id: int
    name: str
    head: int | None  # the head commit's row id; None until the branch has a commit

    @classmethod
    def from_row(cls, row: Row) -> BranchRecord:
        return cls(row["id"], row["repo_id"], row["name"], row["head"])


@dataclass(frozen=True)
class CommitRecord:
    id: int  # the row id: what parents, heads and provenance point at
    repo_id: int
    repo: str
    commit_id: str  # the commit set's ID, shared by every commit of the set
    branch: str | None
    parent: int | None
    origin: Origin
    description: str
    started: float
    finishing: float | None
    finished: float | None
    error: str | None
    tree: str  # the root directory node's hash
    # Bytes that staged puts add to `tree`'s size. Non-zero only on the record a staged put
    # returns, whose `tree` does not hold them yet; every other record's tree holds them.
    staged_bytes: int = 0

    @property
    def name(self) -> str:
        """`repo@commit-id`, as pachctl prints a commit."""
        return f"{self.repo}@{self.commit_id}"

    @classmethod
    def from_row(cls, row: Row) -> CommitRecord:
        """A row of `refs.COMMIT_SELECT` (a commit joined with its repo's name)."""
        return cls(
            id=row["id"],
            repo_id=row["repo_id"],
            repo=row["repo"],
            commit_id=row["commit_id"],
            branch=row["branch"],
            parent=row["parent"],
            origin=Origin(row["origin"]),
            description=row["description"],
            started=row["started"],
            finishing=row["finishing"],
            finished=row["finished"],
            error=row["error"],
            tree=row["tree"],
        )
