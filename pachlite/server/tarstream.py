"""A tar archive made as it is sent: a header, the content's chunks, the padding.

`tarfile` writes to a file object and would hold a whole member in memory before any of it
could be sent; GetFileTAR answers a directory of any size, so the blocks are laid out here
and each chunk of content goes out as it is read. Names are absolute PFS paths, as pachd
writes them (the SDK's `PFSTarFile` strips the leading '/').
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterable, Iterator

from pachlite.model import FileInfo, FileType

BLOCK = tarfile.BLOCKSIZE  # 512
END = b"\0" * (2 * BLOCK)  # two empty blocks end an archive

Content = Callable[[FileInfo], Iterator[bytes]]


def archive(entries: Iterable[FileInfo], content: Content, mtime: float) -> Iterator[bytes]:
    """The archive's bytes: a member per entry (a directory as a directory member), each
    file's bytes from `content`."""
    for entry in entries:
        yield _header(entry, mtime)
        if entry.type == FileType.DIR:
            continue
        sent = 0
        for chunk in content(entry):
            sent += len(chunk)
            yield chunk
        if sent != entry.size_bytes:
            raise ValueError(f"{entry.path} changed size while it was sent")
        if sent % BLOCK:
            yield b"\0" * (BLOCK - sent % BLOCK)
    yield END


def _header(entry: FileInfo, mtime: float) -> bytes:
    member = tarfile.TarInfo(entry.path)
    member.mtime = int(mtime)
    if entry.type == FileType.DIR:
        member.type = tarfile.DIRTYPE
        member.mode = 0o755
    else:
        member.size = entry.size_bytes
        member.mode = 0o644
    # PAX: names longer than 100 bytes and sizes above 8 GiB need no tricks.
    return member.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
