"""pfs_v2 CreateFileSet, AddFileSet, RenewFileSet, ComposeFileSet: changes gathered apart
from any commit, then added to one.

A file set is a `FileChanges` with no commit, held by this server for its time to live
(pachd's default 10 minutes and most 30, src/server/pfs/server/driver.go: defaultTTL,
maxTTL); its bytes are already objects in the store, so one that expires leaves objects
nothing names, as a broken-off ModifyFile does. Adding one to a commit is one transaction,
like a ModifyFile stream. The SDK 2.12's `put_files` does not use these calls (it sends a
ModifyFile per file); Pachyderm's workers and other clients do.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.client.changes import FileChanges
from pachlite.server import status
from pachlite.server.refs import commit_ref, commit_subject
from pachlite.server.registry import Call, Message, Registry, Settled
from pachlite.server.services.modify_file import (
    Requests,
    apply_request,
    operation,
    pachyderm_errors,
)

DEFAULT_TTL_S = 10 * 60
MAX_TTL_S = 30 * 60


class FileSets:
    """The file sets one server holds, by ID, each until its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[FileChanges, float]] = {}

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def add(self, changes: FileChanges, ttl_s: float, file_set_id: str | None = None) -> str:
        file_set_id = file_set_id or self.new_id()
        with self._lock:
            self._expire()
            self._sets[file_set_id] = (changes, time.monotonic() + ttl_s)
        return file_set_id

    def get(self, file_set_id: str) -> FileChanges:
        with self._lock:
            self._expire()
            found = self._sets.get(file_set_id)
        if found is None:
            raise status.Status(grpc.StatusCode.NOT_FOUND, f"file set {file_set_id} not found")
        return found[0]

    def renew(self, file_set_id: str, ttl_s: float) -> None:
        changes = self.get(file_set_id)
        with self._lock:
            self._sets[file_set_id] = (changes, time.monotonic() + ttl_s)

    def _expire(self) -> None:
        now = time.monotonic()
        for gone in [k for k, (_, deadline) in self._sets.items() if deadline <= now]:
            del self._sets[gone]


def _ttl(seconds: int) -> float:
    if seconds <= 0:
        return DEFAULT_TTL_S
    if seconds > MAX_TTL_S:
        raise status.invalid(f"ttl ({seconds}s) exceeds max ttl ({MAX_TTL_S}s)")
    return float(seconds)


def register(served: Registry) -> None:
    sets = FileSets()

    @served.gather("pfs_v2.API", "CreateFileSet", pfs.ModifyFileRequest)
    def create_file_set(requests: Iterator[Message], call: Call) -> Settled:
        changes = call.client.file_changes(None)
        stream = Requests(requests)
        for request in stream:
            kind, body = operation(request)
            if kind == "set_commit":
                raise status.invalid("a file set is made apart from any commit: no set_commit")
            with pachyderm_errors(call, None):
                apply_request(call, changes, kind, body, stream)
        file_set_id = sets.new_id()
        return Settled(
            pfs.CreateFileSetResponse(file_set_id=file_set_id),
            lambda: sets.add(changes, DEFAULT_TTL_S, file_set_id),
        )

    @served.unary(
        "pfs_v2.API", "AddFileSet", pfs.AddFileSetRequest, lambda r: commit_subject(r.commit)
    )
    def add_file_set(request: Message, call: Call) -> Message:
        file_set = sets.get(request.file_set_id)
        with pachyderm_errors(call, request.commit):
            changes = call.client.file_changes(commit_ref(request.commit))
            changes.extend(file_set)
            if len(changes):
                changes.apply()
        return Empty()

    @served.unary("pfs_v2.API", "RenewFileSet", pfs.RenewFileSetRequest)
    def renew_file_set(request: Message, call: Call) -> Message:
        sets.renew(request.file_set_id, _ttl(request.ttl_seconds))
        return Empty()

    @served.unary("pfs_v2.API", "ComposeFileSet", pfs.ComposeFileSetRequest)
    def compose_file_set(request: Message, call: Call) -> Message:
        # In order: a later set's changes after an earlier one's, as pachd layers them.
        composed = call.client.file_changes(None)
        for file_set_id in request.file_set_ids:
            composed.extend(sets.get(file_set_id))
        ttl = _ttl(request.ttl_seconds)
        return pfs.CreateFileSetResponse(file_set_id=sets.add(composed, ttl))
