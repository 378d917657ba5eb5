"""pachlite's values (pachlite.model) as the SDK's protobuf messages, filled as pachd fills
them where pachlite has the data.

Left empty, because pachlite does not have it (docs/api.md keeps the list): `auth_info` and
`created_by` (no auth), a branch's `trigger`,
`created_at`/`updated_at` and propagation specs, and a commit's compacting and validating
times. A commit's `branch` is never set in answers: pachd clears it too
(src/internal/middleware/validation: `NilBranch`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pachyderm_sdk.api import pfs

from pachlite.model import (
    BranchInfo,
    CommitInfo,
    FileInfo,
    FileType,
    Origin,
    ProjectInfo,
    RepoInfo,
)
from pachlite.paths import DEFAULT_PROJECT, split_key

_ORIGINS = {Origin.USER: pfs.OriginKind.USER, Origin.AUTO: pfs.OriginKind.AUTO,
            Origin.FSCK: pfs.OriginKind.FSCK}  # fmt: skip


def timestamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def project(name: str = DEFAULT_PROJECT) -> pfs.Project:
    return pfs.Project(name=name)


def project_info(info: ProjectInfo) -> pfs.ProjectInfo:
    return pfs.ProjectInfo(
        project=project(info.name),
        description=info.description,
        created_at=timestamp(info.created),
        metadata=info.metadata,
    )


def repo(key: str, kind: str = "user") -> pfs.Repo:
    """A `Repo` for pachlite's repo key (`repo` or `project/repo`)."""
    project_name, name = split_key(key)
    return pfs.Repo(name=name, type=kind, project=project(project_name))


def branch(ref: str) -> pfs.Branch:
    """A `Branch` for pachlite's "repo@branch"."""
    name, _, branch_name = ref.partition("@")
    return pfs.Branch(repo=repo(name), name=branch_name)


def commit(ref: str) -> pfs.Commit:
    """A `Commit` for pachlite's "repo@ID" (no branch: see the module's note)."""
    name, _, commit_id = ref.partition("@")
    return pfs.Commit(repo=repo(name), id=commit_id)


def repo_info(info: RepoInfo, *, details: bool) -> pfs.RepoInfo:
    """`details` as InspectRepo sets them (ListRepo leaves them out, like pachd)."""
    return pfs.RepoInfo(
        repo=repo(info.name, info.type),
        created=timestamp(info.created),
        size_bytes_upper_bound=info.size_bytes,
        description=info.description,
        branches=[branch(f"{info.name}@{name}") for name in info.branches],
        details=pfs.RepoInfoDetails(size_bytes=info.size_bytes) if details else None,
        metadata=dict(info.metadata),
    )


def branch_info(info: BranchInfo) -> pfs.BranchInfo:
    return pfs.BranchInfo(
        branch=branch(f"{info.repo}@{info.name}"),
        head=commit(f"{info.repo}@{info.head}") if info.head else None,
        provenance=[branch(b) for b in info.provenance],
        subvenance=[branch(b) for b in info.subvenance],
        direct_provenance=[branch(b) for b in info.direct_provenance],
        metadata=dict(info.metadata),
    )


def commit_info(info: CommitInfo, *, details: bool = False) -> pfs.CommitInfo:
    # created_at is when pachd stored the commit: for pachlite, when it was started;
    # updated_at its last change, which pachlite knows as its latest time.
    latest = info.finished or info.finishing or info.started
    return pfs.CommitInfo(
        commit=commit(info.uri),
        origin=pfs.CommitOrigin(kind=_ORIGINS[info.origin]),
        description=info.description,
        parent_commit=commit(f"{info.repo}@{info.parent}") if info.parent else None,
        child_commits=[commit(f"{info.repo}@{child}") for child in info.children],
        started=timestamp(info.started),
        finishing=timestamp(info.finishing),
        finished=timestamp(info.finished),
        direct_provenance=[commit(c) for c in info.direct_provenance],
        direct_subvenance=[commit(c) for c in info.direct_subvenance],
        error=info.error or "",
        size_bytes_upper_bound=info.size_bytes,
        details=pfs.CommitInfoDetails(size_bytes=info.size_bytes) if details else None,
        created_at=timestamp(info.started),
        updated_at=timestamp(latest),
        metadata=dict(info.metadata),
    )


def origin(kind: pfs.OriginKind) -> str | None:
    """pachlite's origin name for a ListCommit filter (unknown: no filter)."""
    for ours, theirs in _ORIGINS.items():
        if theirs == kind:
            return str(ours)
    return None


def file_info(info: FileInfo, committed: float | None) -> pfs.FileInfo:
    """`committed` is the commit's finished time (None while it is open), as pachd sets it."""
    return pfs.FileInfo(
        file=pfs.File(commit=commit(f"{info.repo}@{info.commit}"), path=info.path),
        file_type=pfs.FileType.DIR if info.type == FileType.DIR else pfs.FileType.FILE,
        committed=timestamp(committed),
        size_bytes=info.size_bytes,
        hash=_digest(info.hash),
    )


def _digest(text: str) -> bytes:
    """pachd sends a hash as its bytes; pachlite keeps sha256 hex."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()
