"""Laying out a datum's inputs under its scratch `pfs/`, every byte checked on the way.

Each input file is at its full repo path under `pfs/<input name>/` (docs/semantics.md §2.3). Where
pachlite may hard-link (not root: root ignores the objects' read-only mode, so a linked input
would let user code damage the store), the object is hashed first and linked only if it
matches; otherwise it is copied and hashed while it is copied. A small input (up to `SMALL`)
takes one read, one hash and one write (or link); a larger one is streamed. Either way, an
object that does not match its hash, or is missing, stops the datum before user code runs,
with one line naming the input, the repo, the path and the object. `emptyFiles` inputs are empty
files: no byte of them is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pachlite.errors import StoreCorrupt, from_os_error
from pachlite.pfs.localfs import makedirs, write_all
from pachlite.pfs.objects import ObjectStore
from pachlite.pps.datums import Datum, Item
from pachlite.pps.pipeline_spec import PipelineSpec

# item -> (path in repo, object hash, size) of every file it holds
FilesUnder = Callable[[Item], Iterator[tuple[str, str, int]]]
Stamp = tuple[int, int]  # (size, mtime_ns): a changed stamp means user code wrote the input


@dataclass(frozen=True)
class InputFile:
    input: str  # the input's name
    repo_path: str
    digest: str
    size: int
    stamp: Stamp


@dataclass
class Layout:
    """What `materialize` put in place: each local input file and where it came from."""

    files: dict[str, InputFile] = field(default_factory=dict)  # by local path

    def changed(self) -> list[str]:
        return [path for path, f in self.files.items() if _stamp(path) != f.stamp]


def link_inputs() -> bool:
    """Hard links unless PACHLITE_INPUTS=copy, or we run as root: root ignores the objects'
    read-only mode, so a linked input would let user code damage the store."""
    mode = os.environ.get("PACHLITE_INPUTS", "")
    if mode in ("copy", "link"):
        return mode == "link"
    return os.geteuid() != 0


def empty_inputs(spec: PipelineSpec) -> set[str]:
    """The names of the inputs whose files are laid out empty (`empty_files`)."""
    return {pfs.name for pfs in spec.pfs_inputs if pfs.empty_files}


def materialize(
    objects: ObjectStore,
    files_under: FilesUnder,
    datum: Datum,
    pfs: Path,
    *,
    empty: set[str],
    link: bool,
) -> Layout:
    """Put every input file of the datum in place; raises a PachliteError saying which file
    could not be (corrupt or missing object, full disk, a name the file system refuses)."""
    layout = Layout()
    files = layout.files
    top = os.fspath(pfs)
    made: set[str] = set()
    try:
        _mkdir(top)
    except OSError as exc:
        raise from_os_error(exc, "creating /pfs") from None
    store = os.fspath(objects.dir)
    for item in datum.items:
        base = f"{top}/{item.name}"
        try:
            _mkdir(base)
        except OSError as exc:
            raise from_os_error(exc, f"creating /pfs/{item.name}") from None
        made.add(base)
        placeholder = item.name in empty
        for repo_path, digest, size in files_under(item):
            target = f"{base}/{repo_path.lstrip('/')}"
            if target in files:
                continue  # the same file through two items of one input (group, union)
            try:
                parent = target.rpartition("/")[0]
                if parent not in made:
                    makedirs(parent)
                    made.add(parent)
                if placeholder:
                    fd = os.open(target, _NEW, 0o444)
                    stamp = _fstamp(fd)
                    os.close(fd)
                else:
                    source = f"{store}/{digest[:2]}/{digest[2:]}"
                    if size > SMALL:
                        stamp = _large(objects, digest, target, link)
                    elif link:
                        stamp = _link_small(source, digest, size, target)
                    else:
                        stamp = _copy_small(source, digest, size, target)
            except StoreCorrupt:
                where = f"input {item.name} ({item.repo}@{item.commit}:{repo_path})"
                state = "does not match its hash" if objects.has(digest) else "is missing"
                raise StoreCorrupt(
                    f"{where}: object {digest[:12]} {state}; the stored data is damaged, so "
                    "the datum did not run",
                    "run `pachlite fsck` to see what else it affects",
                ) from None
            except OSError as exc:
                where = f"input {item.name} ({item.repo}@{item.commit}:{repo_path})"
                raise from_os_error(exc, f"laying out {where}") from None
            files[target] = InputFile(item.name, repo_path, digest, size, stamp)
    return layout


SMALL = 1 << 20  # an input up to this size is read, hashed and written whole
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _read_verified(source: str, digest: str, size: int) -> bytes:
    """A small object's bytes, in one read, checked against its hash; StoreCorrupt if they
    do not match (or the object is missing: the caller tells which)."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise StoreCorrupt(f"object {digest[:12]} is missing") from None
    try:
        data = os.read(fd, size + 1)  # one byte more tells an object that is too long
    finally:
        os.close(fd)
    if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
        raise StoreCorrupt(f"object {digest[:12]} does not match its hash")
    return data


def _copy_small(source: str, digest: str, size: int, target: str) -> Stamp:
    """A verified copy: one read, one hash, one write; nothing left at `target` on failure."""
    data = _read_verified(source, digest, size)
    fd = os.open(target, _NEW, 0o444)
    try:
        write_all(fd, data)
        stamp = _fstamp(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    os.close(fd)
    return stamp


def _link_small(source: str, digest: str, size: int, target: str) -> Stamp:
    """A hard link to the object once its bytes check; a verified copy where linking fails
    (another file system, links not allowed)."""
    _read_verified(source, digest, size)
    try:
        os.link(source, target)
    except OSError:
        return _copy_small(source, digest, size, target)
    return _stamp(target)


def _large(objects: ObjectStore, digest: str, target: str, link: bool) -> Stamp:
    """A large input, streamed by the object store (hashed as it is copied, or before it is
    linked)."""
    if link:
        objects.link_verified(digest, Path(target))
    else:
        objects.copy_verified(digest, Path(target))
    return _stamp(target)


def _mkdir(path: str) -> None:
    """One directory, its parents only if they are missing (one call in the common case)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        makedirs(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


def _stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return (-1, -1)
    return info.st_size, info.st_mtime_ns


def _fstamp(fd: int) -> Stamp:
    info = os.fstat(fd)
    return info.st_size, info.st_mtime_ns
