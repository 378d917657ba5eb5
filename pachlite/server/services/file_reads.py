"""pfs_v2 GetFile and GetFileTAR: a file's bytes, or a tar of a path, in chunks.

Both are sent as they are read (`lazy`): a 1 GiB file never sits in memory. Everything a
client could be refused for (no such commit or file, a directory for GetFile) is checked
before the first chunk; what can still fail after it (a damaged object, found at its end)
ends the stream with a status, as pachd's does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import grpc
from pachyderm_sdk.api import pfs

from pachlite.model import FileInfo, FileType
from pachlite.server import status, tarstream
from pachlite.server.files import (
    Pinned,
    file_subject,
    in_path_order,
    is_glob,
    not_found,
    pachd_not_found,
    pin,
    walk,
)
from pachlite.server.registry import Call, Message, Registry

CHUNK = 1 << 20  # bytes per message: well under pachd's 20 MiB, few enough messages

# pachd's texts for GetFile of a directory or of a glob matching more than one file
# (src/server/pfs/pfs.go: ErrMatchedNonFile, ErrMatchedMultipleFiles); no status of their
# own, so UNKNOWN.
NOT_A_FILE = "cannot get directory or non-regular file. Use GetFileTAR instead"
MANY_FILES = "matched multiple files. Use GetFileTAR instead"


def register(served: Registry) -> None:
    @served.stream(
        "pfs_v2.API", "GetFile", pfs.GetFileRequest, lambda r: file_subject(r.file), lazy=True
    )
    def get_file(request: Message, call: Call) -> Iterator[Message]:
        _refuse_unserved(request)
        pinned = pin(call, request.file, glob=True)
        named = _named(call, pinned)
        if len(named) > 1:
            raise status.Status(grpc.StatusCode.UNKNOWN, MANY_FILES)
        info = named[0]
        if info.type == FileType.DIR:
            raise status.Status(grpc.StatusCode.UNKNOWN, NOT_A_FILE)
        if request.offset < 0 or request.offset > info.size_bytes:
            raise status.invalid(f"offset {request.offset} is outside {info.path}")
        chunks = _skip(call.client.iter_file(pinned.at(info.path)), request.offset)
        yield from _even(chunks)

    @served.stream(
        "pfs_v2.API", "GetFileTAR", pfs.GetFileRequest, lambda r: file_subject(r.file), lazy=True
    )
    def get_file_tar(request: Message, call: Call) -> Iterator[Message]:
        _refuse_unserved(request)
        pinned = pin(call, request.file, glob=True)
        entries = _under(call, pinned, _named(call, pinned))
        first = next(entries)  # a missing path is refused before any byte

        def content(entry: FileInfo) -> Iterator[bytes]:
            return call.client.iter_file(pinned.at(entry.path))

        mtime = pinned.commit.finished or pinned.commit.started
        archive = tarstream.archive(_chain(first, entries), content, mtime)
        yield from _even(archive)


def _named(call: Call, pinned: Pinned) -> list[FileInfo]:
    """What a request's path names: the path, or each match of a glob (at least one)."""
    if not is_glob(pinned.path):
        with pachd_not_found(pinned):
            return [call.client.inspect_file(pinned.ref)]
    matches = in_path_order(call.client.glob_file(pinned.ref))
    if not matches:
        raise not_found(pinned)
    return matches


def _under(call: Call, pinned: Pinned, named: list[FileInfo]) -> Iterator[FileInfo]:
    """Each named path and what is under it, each once (a glob may match a directory and
    what it holds)."""
    seen: set[str] = set()
    for info in named:
        for entry in walk(call, Pinned(pinned.commit, info.path.rstrip("/") or "/")):
            if entry.path not in seen:
                seen.add(entry.path)
                yield entry


def _refuse_unserved(request: Message) -> None:
    if request.url:
        raise status.Status(grpc.StatusCode.UNIMPLEMENTED, "pachlite does not write files to a URL")
    if request.path_range is not None and (request.path_range.lower or request.path_range.upper):
        raise status.Status(grpc.StatusCode.UNIMPLEMENTED, "pachlite does not serve path_range")


def _skip(chunks: Iterator[bytes], offset: int) -> Iterator[bytes]:
    """The chunks from byte `offset` on (all of them read, so the hash is still checked)."""
    for chunk in chunks:
        if offset >= len(chunk):
            offset -= len(chunk)
            continue
        yield chunk[offset:] if offset else chunk
        offset = 0


def _even(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces joined into BytesValue messages of up to CHUNK bytes, encoded here: a tar's
    headers and small files would otherwise be a message each, and betterproto's encoding
    of a 1 MiB value costs more than reading it. A message goes once the next piece is in,
    so the last waits for the source's end: the content's hash is checked there, and a
    damaged file never arrives whole."""
    held: list[bytes] = []
    size = 0
    for piece in pieces:
        if not piece:
            continue
        if held and size + len(piece) > CHUNK:
            yield _bytes_value(b"".join(held))
            held, size = [], 0
        held.append(piece)
        size += len(piece)
    if held:
        yield _bytes_value(b"".join(held))


def _bytes_value(value: bytes) -> bytes:
    """`BytesValue(value=value)` as its wire bytes (field 1, length-delimited), which the
    registry sends as they are."""
    header = bytearray(b"\x0a")
    length = len(value)
    while length > 0x7F:
        header.append(length & 0x7F | 0x80)
        length >>= 7
    header.append(length)
    return b"".join((header, value))


def _chain(first: FileInfo, rest: Iterator[FileInfo]) -> Iterator[FileInfo]:
    yield first
    yield from rest
