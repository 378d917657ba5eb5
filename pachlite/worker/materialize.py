"""Laying out a datum's inputs under its scratch `pfs/`, every byte checked on the way.

Each input file is at its full repo path under `pfs/<input name>/` (docs/semantics.md §2.3). Where
pachlite may hard-link (not root: root ignores the objects' read-only mode, so a linked input
would let user code damage the store), the object is hashed first and linked only if it
matches; otherwise it is copied and hashed while it is copied. Either way, an object that
does not match its hash, or is missing, stops the datum before user code runs, with one
line naming the input, the repo, the path and the object. `emptyFiles` inputs are empty
files: no byte of them is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pachlite.errors import StoreCorrupt, from_os_error
from pachlite.pfs.localfs import makedirs
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

    files: dict[Path, InputFile] = field(default_factory=dict)

    def changed(self) -> list[Path]:
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
    made: set[Path] = set()
    try:
        _mkdir(pfs)
    except OSError as exc:
        raise from_os_error(exc, "creating /pfs") from None
    for item in datum.items:
        base = pfs / item.name
        try:
            _mkdir(base)
        except OSError as exc:
            raise from_os_error(exc, f"creating /pfs/{item.name}") from None
        made.add(base)
        for repo_path, digest, size in files_under(item):
            target = base / repo_path.lstrip("/")
            where = f"input {item.name} ({item.repo}@{item.commit}:{repo_path})"
            try:
                if target.parent not in made:
                    makedirs(target.parent)
                    made.add(target.parent)
                if os.path.lexists(target):
                    continue  # the same file through two items of one input (group, union)
                if item.name in empty:
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444))
                elif link:
                    objects.link_verified(digest, target)
                else:
                    objects.copy_verified(digest, target)
            except StoreCorrupt:
                state = "does not match its hash" if objects.has(digest) else "is missing"
                raise StoreCorrupt(
                    f"{where}: object {digest[:12]} {state}; the stored data is damaged, so "
                    "the datum did not run",
                    "run `pachlite fsck` to see what else it affects",
                ) from None
            except OSError as exc:
                raise from_os_error(exc, f"laying out {where}") from None
            layout.files[target] = InputFile(item.name, repo_path, digest, size, _stamp(target))
    return layout


def _mkdir(path: Path) -> None:
    """One directory, its parents only if they are missing (one call in the common case)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        makedirs(path)
    except FileExistsError:
        if not path.is_dir():
            raise


def _stamp(path: Path) -> Stamp:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return info.st_size, info.st_mtime_ns
