"""What the file calls share: a `File` message pinned to one commit, pachd's "file ... not
found" text, and a walk that lists directories too.

A read names its commit once by ID (`Pinned`), so every part of one answer (a listing, a
tar, a walk) comes from the same commit even if the branch moves meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
from pachyderm_sdk.api import pfs

from pachlite.errors import FileNotFound
from pachlite.model import CommitInfo, FileInfo, FileType
from pachlite.paths import FORBIDDEN_PATH_CHARS, validate_path
from pachlite.server import messages, status
from pachlite.server.refs import commit_ref, commit_subject, shown_repo
from pachlite.server.registry import Call, Message


@dataclass(frozen=True)
class Pinned:
    """A path in a commit resolved to its ID."""

    commit: CommitInfo
    path: str

    @property
    def ref(self) -> str:
        return self.at(self.path)

    def at(self, path: str) -> str:
        return f"{self.commit.repo}@{self.commit.id}:{path}"

    def answer(self, info: FileInfo) -> pfs.FileInfo:
        return messages.file_info(info, self.commit.finished)


def file_subject(file: Message | None) -> status.Subject:
    return commit_subject(file.commit if file is not None else None)


def is_glob(path: str) -> bool:
    """Whether a path is a glob pattern (the characters no file name may hold)."""
    return not FORBIDDEN_PATH_CHARS.isdisjoint(path)


def pin(call: Call, file: Message | None, *, glob: bool = False) -> Pinned:
    """The commit a `File` names, resolved once; its path cleaned ('' is the root), or with
    `glob` kept as a pattern when it is one (GetFile and GetFileTAR take globs, as pachd's)."""
    if file is None:
        raise status.invalid("no file specified")
    info = call.client.inspect_commit(commit_ref(file.commit))
    path = "/" + file.path.lstrip("/")
    return Pinned(info, path if glob and is_glob(path) else validate_path(path))


def not_found(pinned: Pinned, path: str | None = None) -> status.Status:
    """pachd's ErrFileNotFound (src/server/pfs/pfs.go): NOT_FOUND "file <path> not found in
    repo <project/repo> at commit <ID>"."""
    repo = shown_repo(messages.repo(pinned.commit.repo))
    return status.Status(
        grpc.StatusCode.NOT_FOUND,
        f"file {path or pinned.path} not found in repo {repo} at commit {pinned.commit.id}",
    )


@contextmanager
def pachd_not_found(pinned: Pinned, path: str | None = None) -> Iterator[None]:
    """pachlite's FileNotFound as pachd says it (`not_found`)."""
    try:
        yield
    except FileNotFound:
        raise not_found(pinned, path) from None


def walk(call: Call, pinned: Pinned) -> Iterator[FileInfo]:
    """The path and everything under it, depth first in name order, directories included
    (pachd's WalkFile; pachlite's own walk yields files only)."""
    with pachd_not_found(pinned):
        top = call.client.inspect_file(pinned.ref)
    yield top
    if top.type == FileType.DIR:
        yield from _below(call, pinned, top.path)


def _below(call: Call, pinned: Pinned, path: str) -> Iterator[FileInfo]:
    for child in call.client.list_file(pinned.at(path)):
        yield child
        if child.type == FileType.DIR:
            yield from _below(call, pinned, child.path)


def in_path_order(infos: Iterable[FileInfo]) -> list[FileInfo]:
    """pachd's order: by the whole path, a directory's with its '/' (so "/a/b.txt" comes
    before "/a/b/"), where pachlite lists by name."""
    return sorted(infos, key=lambda info: info.path)


def files_under(call: Call, pinned: Pinned) -> dict[str, FileInfo]:
    """Every file at or under a path, by path; none when the path is not there."""
    try:
        call.client.inspect_file(pinned.ref)
    except FileNotFound:
        return {}
    return {info.path: info for info in walk(call, pinned) if info.type == FileType.FILE}


def paged(infos: list[FileInfo], request: Message) -> list[FileInfo]:
    """ListFile/WalkFile's `pagination_marker` (after it, or before it with `reverse`),
    `reverse` and `number`, over the answers in pachd's order."""
    infos = in_path_order(infos)
    if request.reverse:
        infos = infos[::-1]
    marker = request.pagination_marker
    if marker is not None and marker.path:
        mark = "/" + marker.path.lstrip("/")
        if request.reverse:
            infos = [i for i in infos if i.path.rstrip("/") < mark.rstrip("/")]
        else:
            infos = [i for i in infos if i.path.rstrip("/") > mark.rstrip("/")]
    return infos[: request.number] if request.number > 0 else infos
