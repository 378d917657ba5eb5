"""Reading a batch without trusting its names: a folder, and the tar and zip archives in it.

Members are read into memory, never extracted by name, so nothing can be written outside the
target, and every member ends up either used or listed with its reason (`steps.data.rejects`):

- rejected: an absolute path or a `..` element, a symbolic or hard link, a device, FIFO or
  socket, a member over MAX_MEMBER_BYTES, an encrypted or undecodable zip member, a file that
  cannot be read, an archive that does not open, a second member for the same path;
- ignored: AppleDouble `._*` and `__MACOSX/` files, `.DS_Store`, an archive inside an
  archive, and anything else that is not a sample's image, trimap or `list.txt`.

A folder follows the same rules as an archive, with one difference: a hard link in a folder is
a plain file (pachlite links the files of `/pfs` to its objects), so only archives refuse them.
Symbolic links are never followed, in a folder or an archive.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from steps.data.oxford import IMAGE, LISTING, member_role
from steps.data.rejects import (
    IGNORED,
    REFUSED_FILE,
    REJECTED,
    WAREHOUSE,
    Unused,
    is_archive,
    metadata_reason,
    parse_entries,
    why_ignored,
)

MAX_MEMBER_BYTES = 64 << 20
# What reading one damaged or unsupported zip member raises (zlib, bz2 and lzma streams).
_UNDECODABLE = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class Member:
    found: str  # where it was found: "images/x.jpg", or "pets.tar.gz:oxford/images/x.jpg"
    data: bytes


@dataclass
class BatchFiles:
    """A batch's sample files by role, and everything else as entries of the unused list."""

    stage: str = WAREHOUSE  # who is reading: the entries are stamped with it
    images: dict[str, Member] = field(default_factory=dict)  # sample name -> its image
    masks: dict[str, Member] = field(default_factory=dict)  # sample name -> its trimap
    listing: Member | None = None  # annotations/list.txt
    unused: list[Unused] = field(default_factory=list)

    def add(self, found: str, path: str, data: bytes) -> None:
        normal = _normalise(path)
        role = None if metadata_reason(path) else member_role(normal)
        if role is None:
            self.unused.append(Unused(self.stage, IGNORED, why_ignored(path), (found,)))
            return
        kind, name = role
        if kind == LISTING:
            first = self.listing
            if first is None:
                self.listing = Member(found, data)
        else:
            table = self.images if kind == IMAGE else self.masks
            first = table.get(name)
            if first is None:
                table[name] = Member(found, data)
        if first is not None:
            self.refuse(found, f"a second {kind} for {normal} (the first, {first.found}, is used)")

    def refuse(self, found: str, reason: str) -> None:
        self.unused.append(Unused(self.stage, REJECTED, reason, (found,)))

    def names(self) -> list[str]:
        """Every sample the batch has an image or a trimap for."""
        return sorted(self.images.keys() | self.masks.keys())

    def list_text(self) -> str:
        return self.listing.data.decode(errors="replace") if self.listing else ""


def _normalise(path: str) -> str:
    """Oxford archives nest everything under images/ and annotations/; keep from there."""
    parts = PurePosixPath(path).parts
    for anchor in ("images", "annotations"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) :])
    return "/".join(parts)


def read_batch(source: Path, stage: str = WAREHOUSE) -> BatchFiles:
    """Every file of a batch folder (or of one archive), archives unpacked in memory."""
    batch = BatchFiles(stage)
    if source.is_file() and is_archive(source.name):
        read_archive(source, source.name, batch)
        return batch
    for rel in _regular_files(source, batch):
        path = source / rel
        if is_archive(rel):
            read_archive(path, rel, batch)
            continue
        try:
            size = path.stat().st_size
            if size > MAX_MEMBER_BYTES:
                batch.refuse(rel, f"file of {size} bytes is larger than {MAX_MEMBER_BYTES}")
                continue
            data = path.read_bytes()
        except OSError as exc:
            batch.refuse(rel, f"file cannot be read: {exc.strerror or exc}")
            continue
        if rel == REFUSED_FILE:  # what the spout did not pass into this batch
            try:
                batch.unused.extend(parse_entries(data.decode(errors="replace")))
            except ValueError as exc:
                batch.refuse(rel, f"the spout's list of unused members does not read: {exc}")
        else:
            batch.add(rel, rel, data)
    return batch


def _regular_files(folder: Path, batch: BatchFiles) -> list[str]:
    """The regular files under folder, sorted; links, devices and unreadable folders refused.

    A stack, not recursion, so a tree of any depth is walked.
    """
    files: list[str] = []
    stack = [(str(folder), "")]  # (path, path relative to folder): strings, cheap at any depth
    while stack:
        current, rel_dir = stack.pop()
        try:
            with os.scandir(current) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            batch.refuse(f"{rel_dir or '.'}/", f"folder cannot be read: {exc.strerror or exc}")
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_symlink():
                target = os.readlink(entry.path)
                batch.refuse(rel, f"symbolic link (to {target!r}), not followed")
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel))
            elif entry.is_file(follow_symlinks=False):
                files.append(rel)
            else:
                batch.refuse(rel, "device, FIFO or socket, not a regular file")
    return sorted(files)


def read_archive(path: Path, found: str, batch: BatchFiles) -> None:
    """Add a tar or zip archive's members to batch; `found` names the archive in entries."""
    if path.name.lower().endswith(".zip"):
        _read_zip(path, found, batch)
    else:
        _read_tar(path, found, batch)


def _read_tar(path: Path, found: str, batch: BatchFiles) -> None:
    try:
        with tarfile.open(path) as archive:
            for member in archive:
                where = f"{found}:{member.name}"
                if reason := _tar_refusal(member):
                    batch.refuse(where, reason)
                elif member.isfile():
                    handle = archive.extractfile(member)
                    batch.add(where, member.name, handle.read() if handle else b"")
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as exc:
        batch.refuse(found, f"archive does not open or is damaged: {exc}")


def _tar_refusal(member: tarfile.TarInfo) -> str | None:
    if reason := _name_refusal(member.name):
        return reason
    if member.issym():
        return f"symbolic link in archive (to {member.linkname!r})"
    if member.islnk():
        return f"hard link in archive (to {member.linkname!r})"
    if member.ischr() or member.isblk():
        return "device node in archive"
    if member.isfifo():
        return "FIFO in archive"
    if not (member.isfile() or member.isdir()):
        return "not a regular file"
    if member.size > MAX_MEMBER_BYTES:
        return f"member of {member.size} bytes is larger than {MAX_MEMBER_BYTES}"
    return None


def _read_zip(path: Path, found: str, batch: BatchFiles) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                where = f"{found}:{info.filename}"
                if reason := _zip_refusal(info):
                    batch.refuse(where, reason)
                    continue
                if info.is_dir():
                    continue
                try:  # a lying header cannot make us hold more than the limit
                    with archive.open(info) as handle:
                        data = handle.read(MAX_MEMBER_BYTES + 1)
                except _UNDECODABLE as exc:
                    batch.refuse(where, f"member does not decompress: {exc}")
                    continue
                if len(data) > MAX_MEMBER_BYTES:
                    batch.refuse(where, f"member is larger than {MAX_MEMBER_BYTES} bytes")
                else:
                    batch.add(where, info.filename, data)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        batch.refuse(found, f"archive does not open or is damaged: {exc}")


def _zip_refusal(info: zipfile.ZipInfo) -> str | None:
    if reason := _name_refusal(info.filename):
        return reason
    mode = info.external_attr >> 16 if info.create_system == 3 else 0  # 3: made on Unix
    if stat.S_ISLNK(mode):
        return "symbolic link in archive"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device node in archive"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "FIFO in archive"
    if info.flag_bits & 0x1:
        return "encrypted member (no password is given)"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"member of {info.file_size} bytes is larger than {MAX_MEMBER_BYTES}"
    return None


def _name_refusal(name: str) -> str | None:
    """Names that would land outside the target if extracted; Windows separators count too."""
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return "absolute path in archive"
    if ".." in re.split(r"[\\/]", name):
        return "'..' in archive path"
    return None
