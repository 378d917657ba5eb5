"""Bringing outside bytes into the object store: local files, directories, streams and URLs.

Directory uploads are planned first, so a bad tree stops the upload before any byte is stored:
every target path is validated and every file opened once. As pachctl does, a symlink to a
file is put as the file's content and a symlink to a directory fails the put (pachctl fails
reading it); unlike pachctl, which skips an unreadable directory without a word, pachlite fails
the put naming it: skipping would drop data silently. Then the files are stored by a small
thread pool: hashing and file I/O release the GIL, so two cores hash and copy at once, and a
durable store syncs the batch's objects together at its end (`ObjectStore.sync_objects`).
"""

from __future__ import annotations

import os
import stat
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pachlite.errors import FetchFailed, InvalidArgument
from pachlite.paths import join, validate_file_path
from pachlite.pfs.files import Put
from pachlite.pfs.objects import ObjectStore

URL_SCHEMES = ("http://", "https://", "file://")
URL_TIMEOUT_S = 60
Progress = Callable[[int], None]


@dataclass(frozen=True)
class LocalFile:
    source: str
    target: str
    size: int


def is_url(text: str) -> bool:
    return text.startswith(URL_SCHEMES)


def plan_directory(local_dir: str | os.PathLike[str], target_dir: str) -> list[LocalFile]:
    """Every regular file under a local directory and where it goes; validates all targets."""
    root = Path(local_dir)
    if not root.is_dir():
        raise InvalidArgument(f"{local_dir} is not a directory", "drop -r to put a single file")
    planned: list[LocalFile] = []

    def unreadable(error: OSError) -> None:
        raise FetchFailed(
            f"cannot read directory {error.filename}: {error.strerror or error}",
            "fix its permissions or move it out of the way; nothing was stored",
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                raise InvalidArgument(
                    f"{os.path.join(dirpath, name)} is a symlink to a directory",
                    "pachctl refuses these too: put the directory it points to with its own -r, "
                    "or copy it in; nothing was stored",
                )
        for name in sorted(filenames):
            source = os.path.join(dirpath, name)
            target = join(target_dir, name if rel == "." else f"{rel}/{name}")
            planned.append(LocalFile(source, validate_file_path(target), _readable_size(source)))
    return planned


def _readable_size(source: str) -> int:
    """The size of a regular file this process can read; FetchFailed naming it otherwise."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise FetchFailed(
            f"cannot read {source}: {exc.strerror or exc}", "nothing was stored"
        ) from None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidArgument(f"{source} is not a regular file", "put files and directories only")
    return info.st_size


def local_file(source: str, target: str) -> LocalFile:
    return LocalFile(source, validate_file_path(target), _readable_size(source))


def store_files(
    objects: ObjectStore,
    files: list[LocalFile],
    *,
    append: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[Put]:
    """Store local files as objects in parallel; returns the Put operations for them.

    Each worker reads a file whole, hashes it and writes the object: hashing and file I/O
    release the GIL, so one file's hash overlaps another's write. A durable store
    (PACHLITE_FSYNC=1) fsyncs the batch's new objects together once all are written, before
    returning: the caller's metadata transaction then names only objects on disk.
    """
    unsynced: list[str] = []  # list.append is atomic: the workers share it

    def store_one(item: LocalFile) -> Put:
        try:
            digest, size = objects.put_file(item.source, progress, unsynced)
        except FileNotFoundError:
            raise FetchFailed(f"{item.source} disappeared while it was being stored") from None
        except PermissionError:
            raise FetchFailed(f"cannot read {item.source}: permission denied") from None
        return Put(item.target, digest, size, append)

    if len(files) <= 1:
        ops = [store_one(item) for item in files]
    else:
        with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 2)) as pool:
            ops = list(pool.map(store_one, files))
    objects.sync_objects(unsynced)
    return ops


def store_stream(
    objects: ObjectStore, stream: BinaryIO, progress: Progress | None = None
) -> tuple[str, int]:
    return objects.put_stream(stream, progress)


def store_url(objects: ObjectStore, url: str, progress: Progress | None = None) -> tuple[str, int]:
    """Download a URL straight into the object store."""
    # urllib.request pulls in http.client and email (~20 ms): only URL puts need it.
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as response:
            return objects.put_stream(response, progress)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchFailed(
            f"cannot fetch {url}: {reason}", "check the URL and the network"
        ) from None


def url_basename(url: str) -> str:
    name = os.path.basename(urllib.parse.urlparse(url).path)
    if not name:
        raise InvalidArgument(f"cannot tell a file name from {url}", "give the target as :/path")
    return name
