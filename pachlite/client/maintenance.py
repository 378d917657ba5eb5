"""Store maintenance that works on a data root whose metadata may not open: fsck, restore."""

from __future__ import annotations

import os
from pathlib import Path

from pachlite.pfs.store import resolve_root

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

# fsck and restore are imported when called: `import pachlite.client` stays light for the CLI.
if TYPE_CHECKING:
    from pachlite.model import BackupInfo, FsckReport


def fsck_store(root: str | os.PathLike[str] | None = None) -> FsckReport:
    """Check a store; a damaged or missing `meta.sqlite` is reported, and the objects are
    still re-hashed."""
    from pachlite.pfs.fsck import fsck_root

    return fsck_root(resolve_root(root))


def restore_store(
    source: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> BackupInfo:
    """Replace the store's metadata with a backup (see `pachlite.pfs.backup.restore`)."""
    from pachlite.pfs import backup
    from pachlite.worker.locks import nobody_running

    where = resolve_root(root)
    with nobody_running(where):
        return backup.restore(where, Path(source), force=force)
