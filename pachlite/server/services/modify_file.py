"""pfs_v2 ModifyFile: a client stream of set_commit, add_file, delete_file and copy_file.

Semantics are pachd's (src/server/pfs/server/api_server.go, ModifyFile): an add_file adds
to the end of what the file holds in this stream and the commit, so a put that overwrites
is sent as delete_file then add_file (the SDK's `put_file_from_file` does exactly that);
a delete of a path that is not there is no error; a branch whose head is finished gets a new
commit, finished after. Everything a stream says about one commit lands in one transaction
when the stream ends (pachlite.client.changes), so a stream that breaks off, or a request
in it that fails, leaves the commit as it was. The first message names the commit, and only
the first, as in pachd.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import betterproto
import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.client.changes import FileChanges
from pachlite.errors import Conflict, PachliteError
from pachlite.server import messages, status, wire
from pachlite.server.files import pachd_not_found, pin
from pachlite.server.refs import commit_ref, commit_subject, shown_repo
from pachlite.server.registry import Call, Message, Registry, Settled

METHOD = "/pfs_v2.API/ModifyFile"
URL_SCHEMES = ("file://",)  # what this server fetches; the rest needs an object store
# Field numbers (pfs.proto): ModifyFileRequest.add_file and .delete_file; their path; AddFile.raw.
ADD_FILE, DELETE_FILE, PATH, RAW = 2, 3, 1, 3


class Requests:
    """The stream with one request of look-ahead, to join an add_file's chunks."""

    def __init__(self, requests: Iterator[Message]) -> None:
        self._requests = requests
        self._back: Message | None = None

    def __iter__(self) -> Requests:
        return self

    def __next__(self) -> Message:
        if self._back is not None:
            request, self._back = self._back, None
            return request
        return next(self._requests)

    def push_back(self, request: Message) -> None:
        self._back = request


def fast_parse(raw: bytes) -> Message | None:
    """An add_file of raw bytes or a delete_file, with a path and nothing else, read straight
    from the wire (betterproto's parse costs ~10x building the same message, and the SDK
    sends three of these per file); None for anything else, which the registry parses."""
    try:
        top = wire.fields(memoryview(raw))
        if len(top) != 1 or top[0][0] not in (ADD_FILE, DELETE_FILE) or top[0][1] != wire.LEN:
            return None
        number, _, start, stop = top[0]
        body = memoryview(raw)[start:stop]
        path: str | None = None
        content: bytes | None = None
        for field, kind, begin, end in wire.fields(body):
            if kind != wire.LEN:
                return None
            if field == PATH:
                path = str(body[begin:end], "utf-8")
            elif field == RAW and number == ADD_FILE:
                value = wire.fields(body[begin:end])  # a BytesValue: field 1 or nothing
                if any(f != 1 or k != wire.LEN for f, k, _, _ in value):
                    return None
                content = bytes(body[begin:end][value[-1][2] : value[-1][3]]) if value else b""
            else:
                return None
    except (wire.Malformed, UnicodeDecodeError):
        return None
    if path is None:
        return None
    if number == DELETE_FILE:
        return pfs.ModifyFileRequest(delete_file=pfs.DeleteFile(path=path))
    if content is None:
        return None
    return pfs.ModifyFileRequest(add_file=pfs.AddFile(path=path, raw=content))


def register(served: Registry) -> None:
    @served.gather("pfs_v2.API", "ModifyFile", pfs.ModifyFileRequest, fast_parse)
    def modify_file(requests: Iterator[Message], call: Call) -> Settled:
        stream = Requests(requests)
        first = next(stream, None)
        kind, commit = operation(first) if first is not None else ("", None)
        if kind != "set_commit":
            raise _unknown("first message must be a commit")
        changes = _changes(call, commit)
        for request in stream:
            kind, body = operation(request)
            if kind == "set_commit":
                # One commit per stream, as pachd reads it (src/server/pfs/server/api_server.go:
                # readCommit, then operations only).
                raise _unknown("set_commit may only be the first message of a ModifyFile")
            with pachyderm_errors(call, commit):
                apply_request(call, changes, kind, body, stream)

        def apply() -> None:  # only for a client still there (registry.Registry.gather)
            if len(changes):
                with pachyderm_errors(call, commit):
                    changes.apply()

        return Settled(Empty(), apply)


def _unknown(text: str) -> status.Status:
    # pachd's errors.Errorf: no status of its own, UNKNOWN after its error interceptor.
    return status.Status(grpc.StatusCode.UNKNOWN, text)


def operation(request: Message) -> tuple[str, Message]:
    """Which operation a request is, and its message ("" when it has none)."""
    kind, body = betterproto.which_one_of(request, "body")
    return kind, body


def _changes(call: Call, commit: Message) -> FileChanges:
    with pachyderm_errors(call, commit):
        return call.client.file_changes(commit_ref(commit))


def apply_request(
    call: Call, changes: FileChanges, kind: str, body: Message, stream: Requests
) -> None:
    if kind == "add_file":
        source, value = betterproto.which_one_of(body, "source")
        if source == "url":
            _put_url(changes, body.path, value)
        else:
            changes.put(body.path, _chunks(body, stream), append=True)
    elif kind == "delete_file":
        changes.delete(body.path or "/")
    elif kind == "copy_file":
        pinned = pin(call, body.src)
        with pachd_not_found(pinned):
            changes.copy(pinned.ref, body.dst, append=body.append)
    else:
        raise status.invalid("a ModifyFileRequest with no operation")


def _chunks(first: Message, stream: Requests) -> Iterator[bytes]:
    """The first add_file's bytes, then those of the add_files right after it for the same
    path: the SDK sends a file as a run of them (19 MiB each), stored as one object."""
    yield first.raw or b""
    for request in stream:
        kind, body = operation(request)
        same = kind == "add_file" and body.path == first.path
        if not same or betterproto.which_one_of(body, "source")[0] == "url":
            stream.push_back(request)
            return
        yield body.raw or b""


def _put_url(changes: FileChanges, path: str, source: Message) -> None:
    if not source.url.startswith(URL_SCHEMES):
        raise status.Status(
            grpc.StatusCode.UNIMPLEMENTED,
            f"pachlite's server fetches file:// URLs only, not {source.url.split(':', 1)[0]}://",
        )
    if source.recursive:
        raise status.Status(
            grpc.StatusCode.UNIMPLEMENTED, "a recursive URL put is not served by pachlite"
        )
    changes.put_url(path, source.url, append=True)


@contextmanager
def pachyderm_errors(call: Call, commit: Message | None) -> Iterator[None]:
    """pachlite's errors about `commit` in pachd's words: a finished commit is UNKNOWN
    "commit <project/repo@ID> has already finished" (src/server/pfs/pfs.go,
    ErrCommitFinished, which carries no status of its own)."""
    try:
        yield
    except PachliteError as exc:
        if isinstance(exc, Conflict) and commit is not None:
            finished = _finished(call, commit)
            if finished is not None:
                raise status.Status(
                    grpc.StatusCode.UNKNOWN, f"commit {finished} has already finished"
                ) from None
        code, text = status.translate(exc, commit_subject(commit), METHOD)
        raise status.Status(code, text) from None


def _finished(call: Call, commit: Message) -> str | None:
    """The commit as pachd prints it, when the request names a finished one."""
    try:
        info = call.client.inspect_commit(commit_ref(commit))
    except PachliteError:
        return None
    if not info.is_finished:
        return None
    return f"{shown_repo(messages.repo(info.repo))}@{info.id}"
