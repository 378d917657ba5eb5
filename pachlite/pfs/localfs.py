"""Local directory helpers that never recurse, so a tree thousands of levels deep (a user's
upload, a datum's /pfs) is created and removed like any other.

Python 3.12's `Path.mkdir(parents=True)`, `os.makedirs` and `shutil.rmtree` recurse once per
level and end in RecursionError around 1,000 levels.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written (a write may take fewer than it is given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def makedirs(path: str | os.PathLike[str]) -> None:
    """Create a directory and its missing parents (like `mkdir -p`)."""
    missing: list[str] = []
    current = os.fspath(path)
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", directory) from None


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Remove a directory and everything in it; symlinks are removed, never followed. Missing
    paths and entries that cannot be removed are left (like `rmtree(ignore_errors=True)`)."""
    top = os.fspath(path)
    try:
        info = os.lstat(top)
    except OSError:
        return
    if not stat.S_ISDIR(info.st_mode):
        _quietly(os.unlink, top)
        return
    for dirpath, dirnames, filenames in os.walk(top, topdown=False):
        for name in filenames:
            _quietly(os.unlink, os.path.join(dirpath, name))
        for name in dirnames:
            child = os.path.join(dirpath, name)
            _quietly(os.unlink if os.path.islink(child) else os.rmdir, child)
    _quietly(os.rmdir, top)


def _quietly(remove: Callable[[str], None], path: str) -> None:
    try:
        remove(path)
    except FileNotFoundError:
        pass
    except PermissionError:
        # User code may leave read-only directories behind: make them writable and retry.
        try:
            os.chmod(os.path.dirname(path) or ".", 0o755)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o755)
            remove(path)
        except OSError:
            pass
    except OSError:
        pass
