"""Store maintenance that works on a data root whose metadata may not open: fsck, restore."""

from __future__ import annotations

import os
from pathlib import Path

from pachlite.model import BackupInfo, FsckReport
from pachlite.pfs import backup
from pachlite.pfs.fsck import fsck_root
from pachlite.pfs.store import resolve_root
from pachlite.worker.locks import nobody_running


def fsck_store(root: str | os.PathLike[str] | None = None) -> FsckReport:
    """Check a store; a damaged or missing `meta.sqlite` is reported, and the objects are
    still re-hashed."""
    return fsck_root(resolve_root(root))


def restore_store(
    source: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> BackupInfo:
    """Replace the store's metadata with a backup (see `pachlite.pfs.backup.restore`)."""
    where = resolve_root(root)
    with nobody_running(where):
        return backup.restore(where, Path(source), force=force)
