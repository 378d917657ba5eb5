"""Reading a batch: a folder, or tar archives in it, without trusting archive member names.

Members are read into memory, never extracted by name, so nothing can be written outside the
target. Absolute paths, `..` elements, links, devices and FIFOs are refused with a reason;
AppleDouble `._*` files (macOS metadata) are skipped with a reason too.
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
MAX_MEMBER_BYTES = 64 << 20


@dataclass
class BatchFiles:
    files: dict[str, bytes] = field(default_factory=dict)  # "images/x.jpg" -> bytes
    refused: list[tuple[str, str]] = field(default_factory=list)  # (member, reason)

    def add(self, path: str, data: bytes) -> None:
        name = PurePosixPath(path).name
        if name.startswith("._"):
            self.refused.append((path, "AppleDouble metadata file, not a sample"))
        elif name == ".DS_Store":
            return
        else:
            self.files[_normalise(path)] = data


def _normalise(path: str) -> str:
    """Oxford archives nest everything under images/ and annotations/; keep from there."""
    parts = PurePosixPath(path).parts
    for anchor in ("images", "annotations"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) :])
    return "/".join(parts)


def read_batch(folder: Path) -> BatchFiles:
    """Every file of a batch folder, archives unpacked in memory."""
    batch = BatchFiles()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.endswith(ARCHIVE_SUFFIXES):
            read_archive(path, batch)
        else:
            batch.add(rel, path.read_bytes())
    return batch


def read_archive(path: Path, batch: BatchFiles) -> None:
    try:
        with tarfile.open(path) as archive:
            for member in archive:
                reason = unsafe(member)
                if reason:
                    batch.refused.append((f"{path.name}:{member.name}", reason))
                    continue
                if member.isdir():
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    batch.add(member.name, handle.read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        batch.refused.append((path.name, f"archive does not open: {exc}"))


def unsafe(member: tarfile.TarInfo) -> str | None:
    name = member.name
    if name.startswith("/") or os.path.isabs(name):
        return "absolute path in archive"
    if ".." in PurePosixPath(name).parts:
        return "'..' in archive path"
    if member.issym() or member.islnk():
        return f"link in archive (to {member.linkname!r})"
    if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
        return "device or FIFO in archive"
    if member.isfile() and member.size > MAX_MEMBER_BYTES:
        return f"member of {member.size} bytes is larger than {MAX_MEMBER_BYTES}"
    if not (member.isfile() or member.isdir()):
        return "not a regular file"
    return None
