"""`pachlite.Client`: every pachlite verb as a Python call. The CLI is a thin layer over it.

References use pachctl's grammar (`repo@branch:/path`, `repo@<id>`, `repo@branch^2`), so code
written against this client reads like the pachctl commands it mirrors.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from pachlite.client.maintenance import fsck_store, restore_store
from pachlite.client.metadata import MetadataVerbs
from pachlite.client.pfs import PfsVerbs
from pachlite.client.pps import PpsVerbs
from pachlite.client.transactions import TransactionVerbs
from pachlite.paths import DEFAULT_PROJECT, validate_name
from pachlite.pfs.store import Store


class Client(PfsVerbs, PpsVerbs, TransactionVerbs, MetadataVerbs):
    """A handle on one data root (`root`, else $PACHLITE_ROOT, else ./.pachlite); repos and
    pipelines named without a project (`repo`, not `project/repo`) are in `project`."""

    def __init__(
        self, root: str | os.PathLike[str] | None = None, *, project: str = DEFAULT_PROJECT
    ) -> None:
        if project != DEFAULT_PROJECT:
            validate_name("project", project)
        self.project = project
        self.store = Store(root)

    @property
    def root(self) -> Path:
        return self.store.root

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


__all__ = ["Client", "fsck_store", "restore_store"]
