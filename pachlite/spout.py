"""What spout code writes through: one small interface, local or on a real cluster.

Under `pachlite up` a spout runs with PACHLITE_ROOT, PACHLITE_SPOUT_REPO and
PACHLITE_SPOUT_BRANCH set, and writes through `pachlite.Client`. Inside a Pachyderm worker
(docs/semantics.md §6.1) it writes through `pachyderm_sdk.Client.new_in_cluster()` into
`<pipeline>@<output branch>`. Step code calls `connect()` and never needs to know which.

    from pachlite.spout import connect
    out = connect()
    if not out.exists("/batch-0001/annotations/list.txt"):
        with out.commit("batch 1"):
            out.put_bytes("/batch-0001/annotations/list.txt", data)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from pachlite.errors import InvalidArgument, PachliteError


class SpoutOutput(Protocol):
    def commit(self, description: str = "") -> AbstractContextManager[None]: ...
    def put_bytes(self, path: str, data: bytes) -> None: ...
    def exists(self, path: str) -> bool: ...


class LocalSpout:
    """Writes into a pachlite store; each `commit()` block is one commit (one job downstream)."""

    def __init__(self, root: str, repo: str, branch: str = "master") -> None:
        from pachlite.client import Client

        self.client = Client(root)
        self.branch = f"{repo}@{branch}"

    @contextmanager
    def commit(self, description: str = "") -> Iterator[None]:
        info = self.client.start_commit(self.branch, description=description)
        try:
            yield
        except BaseException:
            self.client.delete_commit(f"{info.repo}@{info.id}")  # nothing half-written
            raise
        self.client.finish_commit(f"{info.repo}@{info.id}")

    def put_bytes(self, path: str, data: bytes) -> None:
        self.client.put_file_bytes(f"{self.branch}:{path}", data)

    def exists(self, path: str) -> bool:
        try:
            self.client.inspect_file(f"{self.branch}:{path}")
        except PachliteError:
            return False
        return True


class PachydermSpout:
    """Writes into a real Pachyderm through pachyderm-sdk, from inside a spout worker."""

    def __init__(self, repo: str, branch: str = "master") -> None:
        from pachyderm_sdk import Client

        self.client: Any = Client.new_in_cluster()
        self.uri = f"{repo}@{branch}"
        self._open: Any = None

    @contextmanager
    def commit(self, description: str = "") -> Iterator[None]:
        from pachyderm_sdk.api import pfs

        with self.client.pfs.commit(branch=pfs.Branch.from_uri(self.uri)) as open_commit:
            self._open = open_commit
            try:
                yield
            finally:
                self._open = None

    def put_bytes(self, path: str, data: bytes) -> None:
        if self._open is not None:
            self._put(path, data)
            return
        with self.commit():  # outside a commit block: a commit of its own, as pachctl does
            self._put(path, data)

    def _put(self, path: str, data: bytes) -> None:
        opened: Any = self._open
        opened.put_file_from_bytes(path=path, data=data)

    def exists(self, path: str) -> bool:
        from pachyderm_sdk.api import pfs

        return bool(self.client.pfs.path_exists(file=pfs.File.from_uri(f"{self.uri}:{path}")))


def in_pachyderm_worker() -> bool:
    return os.path.exists("/pachctl/config.json") or "PACHD_PEER_SERVICE_HOST" in os.environ


def connect() -> SpoutOutput:
    """The spout's output: pachlite under `pachlite up`, Pachyderm inside a worker."""
    root = os.environ.get("PACHLITE_ROOT")
    repo = os.environ.get("PACHLITE_SPOUT_REPO") or os.environ.get("PPS_PIPELINE_NAME")
    branch = os.environ.get("PACHLITE_SPOUT_BRANCH", "master")
    if root and repo:
        return LocalSpout(root, repo, branch)
    if in_pachyderm_worker() and repo:
        return PachydermSpout(repo, branch)
    raise InvalidArgument(
        "not running as a spout: neither PACHLITE_ROOT nor a Pachyderm worker is present",
        "run it through `pachlite up` or as a Pachyderm spout pipeline",
    )
