"""pfs_v2 InspectFile, ListFile, WalkFile, GlobFile, DiffFile: `FileInfo`s, as pachd fills
them where pachlite has the data (docs/api.md: the hash is pachlite's sha256, `committed` the
commit's finished time, unset while it is open).
"""

from __future__ import annotations

from collections.abc import Iterator

from pachyderm_sdk.api import pfs

from pachlite.server import messages
from pachlite.server.files import (
    Pinned,
    file_subject,
    files_under,
    in_path_order,
    pachd_not_found,
    paged,
    pin,
    walk,
)
from pachlite.server.refs import commit_subject, given
from pachlite.server.registry import Call, Message, Registry


def register(served: Registry) -> None:
    @served.unary(
        "pfs_v2.API", "InspectFile", pfs.InspectFileRequest, lambda r: file_subject(r.file)
    )
    def inspect_file(request: Message, call: Call) -> Message:
        pinned = pin(call, request.file)
        with pachd_not_found(pinned):
            return pinned.answer(call.client.inspect_file(pinned.ref))

    @served.stream("pfs_v2.API", "ListFile", pfs.ListFileRequest, lambda r: file_subject(r.file))
    def list_file(request: Message, call: Call) -> Iterator[Message]:
        # A directory's children, or a file itself (pachd's ListFile lists a file as one).
        pinned = pin(call, request.file)
        with pachd_not_found(pinned):
            infos = call.client.list_file(pinned.ref)
        for info in paged(infos, request):
            yield pinned.answer(info)

    @served.stream("pfs_v2.API", "WalkFile", pfs.WalkFileRequest, lambda r: file_subject(r.file))
    def walk_file(request: Message, call: Call) -> Iterator[Message]:
        pinned = pin(call, request.file)
        for info in paged(list(walk(call, pinned)), request):
            yield pinned.answer(info)

    @served.stream(
        "pfs_v2.API", "GlobFile", pfs.GlobFileRequest, lambda r: commit_subject(r.commit)
    )
    def glob_file(request: Message, call: Call) -> Iterator[Message]:
        # No match is an empty answer, no error, as in pachd.
        pinned = pin(call, pfs.File(commit=request.commit, path="/"))
        pattern = "/" + request.pattern.lstrip("/")
        commit = pinned.commit
        for info in in_path_order(call.client.glob_file(f"{commit.repo}@{commit.id}:{pattern}")):
            yield pinned.answer(info)

    @served.stream(
        "pfs_v2.API", "DiffFile", pfs.DiffFileRequest, lambda r: file_subject(r.new_file)
    )
    def diff_file(request: Message, call: Call) -> Iterator[Message]:
        # Against the new commit's parent unless old_file names another (pachd's default).
        new = pin(call, request.new_file)
        old = pin(call, request.old_file) if given(request.old_file) else None
        if old is not None and old.path != new.path:
            yield from _across_paths(call, new, old)
            return
        with pachd_not_found(new):
            diffs = call.client.diff_file(new.ref, old.ref if old is not None else None)
        parent = old or _parent(call, new)
        for diff in diffs:
            yield pfs.DiffFileResponse(
                new_file=new.answer(diff.new) if diff.new else None,
                old_file=parent.answer(diff.old) if diff.old and parent else None,
            )


def _parent(call: Call, new: Pinned) -> Pinned | None:
    commit = new.commit
    if not commit.parent:
        return None
    return pin(call, pfs.File(commit=pfs.Commit(repo=messages.repo(commit.repo), id=commit.parent)))


def _across_paths(call: Call, new: Pinned, old: Pinned) -> Iterator[Message]:
    """A diff of two different paths, as pachd makes it: the files under the new path
    against those under the old one, matched by their whole path (so /a against /b is /a
    added and /b deleted); pachlite's tree diff compares one path in two commits."""
    after, before = files_under(call, new), files_under(call, old)
    if not after and not before:
        with pachd_not_found(new):
            call.client.inspect_file(new.ref)
    for path in sorted(after.keys() | before.keys()):
        n, o = after.get(path), before.get(path)
        if n is not None and o is not None and n.hash == o.hash:
            continue
        yield pfs.DiffFileResponse(
            new_file=new.answer(n) if n is not None else None,
            old_file=old.answer(o) if o is not None else None,
        )
