"""Plain values the engine hands out: repos, branches, commits, files (reference §5.1).

They carry no behaviour beyond rendering themselves as JSON-ready dicts, so the CLI, the tests
and later the planner can all use them without touching storage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Origin(StrEnum):
    """Who made a commit: a person or program writing data (USER) or propagation (AUTO)."""

    USER = "USER"
    AUTO = "AUTO"
    FSCK = "FSCK"


class FileType(StrEnum):
    FILE = "file"
    DIR = "dir"


@dataclass(frozen=True)
class RepoInfo:
    name: str
    type: str
    description: str
    created: float
    size_bytes: int
    branches: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BranchInfo:
    repo: str
    name: str
    head: str | None  # commit ID
    direct_provenance: list[str] = field(default_factory=list)  # "repo@branch"
    provenance: list[str] = field(default_factory=list)  # transitive
    subvenance: list[str] = field(default_factory=list)  # transitive

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CommitInfo:
    repo: str
    id: str
    branch: str | None
    origin: Origin
    parent: str | None
    children: list[str]
    description: str
    started: float
    finishing: float | None
    finished: float | None
    error: str | None
    size_bytes: int
    direct_provenance: list[str]  # "repo@id"
    direct_subvenance: list[str]

    @property
    def is_finished(self) -> bool:
        return self.finished is not None

    @property
    def uri(self) -> str:
        return f"{self.repo}@{self.id}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["origin"] = str(self.origin)
        return data


@dataclass(frozen=True)
class ProvenanceNode:
    """One commit in a provenance tree and the commits it was made from."""

    commit: str  # "repo@id"
    branch: str | None
    origin: Origin
    inputs: list[ProvenanceNode]

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "branch": self.branch,
            "origin": str(self.origin),
            "provenance": [node.to_json() for node in self.inputs],
        }


@dataclass(frozen=True)
class FileInfo:
    repo: str
    commit: str
    path: str
    type: FileType
    size_bytes: int
    hash: str  # sha256 of the content for files; of the listing for directories

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = str(self.type)
        return data


class DiffKind(StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"


@dataclass(frozen=True)
class FileDiff:
    kind: DiffKind
    new: FileInfo | None
    old: FileInfo | None

    @property
    def path(self) -> str:
        info = self.new or self.old
        assert info is not None
        return info.path

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "path": self.path,
            "new": self.new.to_json() if self.new else None,
            "old": self.old.to_json() if self.old else None,
        }


@dataclass(frozen=True)
class FsckReport:
    objects_checked: int
    trees_checked: int
    commits_checked: int
    problems: list[str]
    unreferenced_objects: int
    stale_temp_files: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data
