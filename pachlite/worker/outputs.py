"""Collecting a datum's `/pfs/out` the way Pachyderm's worker uploads it.

What Pachyderm does (src/server/worker/datum/datum.go `upload`, `handleSymlinks`,
`uploadSymlink`; src/internal/tarutil/tar.go `Export`), and so pachlite:

- every regular file is uploaded at its path under `out/`, the path checked like any PFS path;
- named pipes are skipped (Export skips them); other special files fail the datum;
- a symlink is uploaded as what it points at: a file's content, or a directory's files
  recursively at the link's path. Inside a linked directory, a link to a file is uploaded as
  the file's content and a link to a directory fails the datum (Pachyderm's upload fails
  reading it as a file);
- a symlink into an `empty_files` input copies the input file, or directory, from its commit
  (Pachyderm's CopyFile): the real content, not the empty placeholder;
- a symlink that dangles fails the datum.

One difference: a relative link target is resolved from the link's own directory, as the OS
does; Pachyderm's worker resolves it from its working directory.

Every output path is planned and checked before any byte is stored, so a bad output stores
nothing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pachlite.errors import InvalidArgument, PachliteError, from_os_error
from pachlite.paths import validate_file_path
from pachlite.pfs.files import Put
from pachlite.pfs.objects import ObjectStore
from pachlite.worker.materialize import Layout


@dataclass(frozen=True)
class Planned:
    path: str  # in the output commit
    source: str | None  # a local file to store, or None for an input object reused as is
    digest: str = ""
    size: int = 0


def collect(
    objects: ObjectStore, out: Path, pfs: Path, layout: Layout, empty: set[str]
) -> list[Put]:
    """Plan every output (all checked), then store them; raises a PachliteError on the first
    output that cannot be uploaded, before storing anything."""
    return store(objects, plan(out, pfs, layout, empty))


def plan(out: Path, pfs: Path, layout: Layout, empty: set[str]) -> list[Planned]:
    planner = _Planner(out, pfs, layout, empty)
    planner.walk(out, "/", inside_link=False)
    return sorted(planner.planned.values(), key=lambda p: p.path)


def store(objects: ObjectStore, planned: list[Planned]) -> list[Put]:
    puts = []
    for item in planned:
        if item.source is None:
            puts.append(Put(item.path, item.digest, item.size))
            continue
        try:
            digest, size = objects.put_file(item.source)
        except OSError as exc:
            raise from_os_error(exc, f"reading output {item.path}") from None
        puts.append(Put(item.path, digest, size))
    return puts


class _Planner:
    def __init__(self, out: Path, pfs: Path, layout: Layout, empty: set[str]) -> None:
        self.out = out
        self.pfs_dir = pfs
        self.layout = layout
        self.empty = empty
        self.planned: dict[str, Planned] = {}

    @cached_property
    def pfs(self) -> str:
        return os.path.realpath(self.pfs_dir)  # only a symlink needs it

    def walk(self, top: Path | str, dest: str, *, inside_link: bool) -> None:
        """Every entry under `top`, a directory's own entries (by name) before those of its
        subdirectories; one `scandir` per directory tells the kind of each entry. A loop,
        not recursion: trees may be deep."""
        pending = [(os.fspath(top), dest.rstrip("/"))]
        while pending:
            directory, base = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                raise PachliteError(
                    f"output directory {self._shown(error.filename)} cannot be read: "
                    f"{error.strerror or error}"
                ) from None
            below = []
            for entry in entries:
                path = f"{base}/{entry.name}"
                if entry.is_symlink():
                    self.link(entry.path, path, inside_link=inside_link)
                elif entry.is_file(follow_symlinks=False):
                    self.add(Planned(path, entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    below.append((entry.path, path))
                elif not stat.S_ISFIFO(entry.stat(follow_symlinks=False).st_mode):
                    raise InvalidArgument(
                        f"output {path} is not a regular file, directory or symlink",
                        "write regular files to /pfs/out",
                    )  # pipes are skipped
            pending.extend(reversed(below))

    def link(self, local: str, path: str, *, inside_link: bool) -> None:
        raw = os.readlink(local)
        target = os.path.realpath(local)
        if not os.path.exists(target):
            raise InvalidArgument(
                f"output {path} is a symlink to {raw}, which does not exist",
                "link to a file or directory that exists, or write the file itself",
            )
        copied = self._input_copy(target, path)
        if copied:
            return
        if os.path.isdir(target):
            if inside_link:
                raise InvalidArgument(
                    f"output {path} is a symlink to a directory inside a linked directory",
                    "Pachyderm does not follow those either; link the inner directory itself",
                )
            self.walk(target, path, inside_link=True)
        elif os.path.isfile(target):
            self.add(Planned(path, target))
        else:
            raise InvalidArgument(f"output {path} links to {raw}, which is not a regular file")

    def _input_copy(self, target: str, path: str) -> bool:
        """A link into an empty_files input: reuse the input's objects (no bytes read)."""
        rel = os.path.relpath(target, self.pfs)
        name = rel.split(os.sep, 1)[0]
        if rel.startswith("..") or name not in self.empty:
            return False
        found = False
        for local, item in self.layout.files.items():
            local_real = os.path.realpath(local)
            if local_real == target or local_real.startswith(target.rstrip("/") + "/"):
                suffix = local_real[len(target) :]
                self.add(Planned(path + suffix, None, item.digest, item.size))
                found = True
        return found

    def add(self, item: Planned) -> None:
        path = validate_file_path(item.path)
        if path in self.planned:
            raise InvalidArgument(f"output {path} is written twice (through a symlink)")
        self.planned[path] = Planned(path, item.source, item.digest, item.size)

    def _shown(self, local: str | None) -> str:
        if not local:
            return "?"
        if not local.startswith(str(self.out)):
            return local
        return "/pfs/out/" + os.path.relpath(local, self.out)
