"""pfs_v2 StartCommit, FinishCommit, InspectCommit (with `wait`), ListCommit.

The handlers are module functions taking (request, call), so a transaction can run
StartCommit and FinishCommit as the calls do.

Texts and codes of the refusals follow pachd's src/server/pfs/server/server_commit.go; they
carry no status there, so they are UNKNOWN, as pachd's error interceptor makes them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import pfs

from pachlite.errors import Conflict, NotFound
from pachlite.model import CommitInfo, Origin
from pachlite.server import messages, status
from pachlite.server.refs import (
    branch_ref,
    branch_subject,
    commit_ref,
    commit_subject,
    given,
    repo_name,
    repo_subject,
    shown_repo,
)
from pachlite.server.registry import Call, Message, Registry

MAX_POLL_S = 0.25  # a waiting InspectCommit looks again at most this long after


def _unknown(text: str) -> status.Status:
    return status.Status(grpc.StatusCode.UNKNOWN, text)


def _shown(info: CommitInfo) -> str:
    return f"{shown_repo(messages.repo(info.repo))}@{info.id}"


def _epoch(moment: object) -> bool:
    """An unset Timestamp reads as the epoch (betterproto fills the default)."""
    return bool(getattr(moment, "timestamp", lambda: 0.0)() == 0.0)


def start_commit(request: Message, call: Call) -> Message:
    """StartCommit (a transaction runs it too)."""
    if request.branch is None or not request.branch.name:
        raise _unknown("branch must be specified")
    target = branch_ref(request.branch)
    parent = commit_ref(request.parent) if given(request.parent) else None
    try:
        info = call.client.start_commit(target, parent=parent, description=request.description)
    except Conflict:
        head = call.client.inspect_branch(target).head
        if head is not None:
            open_head = call.client.inspect_commit(f"{repo_name(request.branch.repo)}@{head}")
            if not open_head.is_finished:
                raise _unknown(f"parent commit {_shown(open_head)} has not been finished") from None
        raise
    return messages.commit(info.uri)


def finish_commit(request: Message, call: Call) -> Message:
    """FinishCommit (a transaction runs it too)."""
    ref = commit_ref(request.commit)
    description, error = request.description or None, request.error or None
    try:
        call.client.finish_commit(ref, description=description, error=error,
                                  force=request.force)  # fmt: skip
    except Conflict:
        info = call.client.inspect_commit(ref)
        if info.is_finished:
            raise _unknown(f"commit {_shown(info)} has already finished") from None
        if info.origin != Origin.AUTO or request.force:
            raise
        # pachd refuses only a transform pipeline's output; a commit that provenance
        # made on a branch no pipeline computes (or a spout's, a service's) it finishes.
        if _transform_output(call, info.repo):
            raise _unknown(
                "cannot finish a pipeline output or meta commit, use 'stop job' instead"
            ) from None
        call.client.finish_commit(ref, description=description, error=error, force=True)
    return Empty()


def inspect_commit(request: Message, call: Call) -> Message:
    info = wait_for(call, commit_ref(request.commit), request.wait)
    return messages.commit_info(info, details=True)


def list_commit(request: Message, call: Call) -> Iterator[Message]:
    for info in _list(call, request):
        yield messages.commit_info(info)


def clear_commit(request: Message, call: Call) -> Message:
    """ClearCommit: an open commit loses its changes (pachd: "cannot clear finished commit")."""
    ref = commit_ref(request.commit)
    if call.client.inspect_commit(ref).is_finished:
        raise _unknown("cannot clear finished commit")
    call.client.clear_commit(ref)
    return Empty()


def register(served: Registry) -> None:
    api = "pfs_v2.API"
    served.unary(api, "StartCommit", pfs.StartCommitRequest,
                 lambda r: branch_subject(r.branch))(start_commit)  # fmt: skip
    served.unary(api, "FinishCommit", pfs.FinishCommitRequest,
                 lambda r: commit_subject(r.commit))(finish_commit)  # fmt: skip
    served.unary(api, "InspectCommit", pfs.InspectCommitRequest,
                 lambda r: commit_subject(r.commit))(inspect_commit)  # fmt: skip
    served.unary(api, "ClearCommit", pfs.ClearCommitRequest,
                 lambda r: commit_subject(r.commit))(clear_commit)  # fmt: skip
    served.stream(api, "ListCommit", pfs.ListCommitRequest,
                  lambda r: repo_subject(r.repo))(list_commit)  # fmt: skip


def _started(info: CommitInfo) -> datetime:
    started = messages.timestamp(info.started)
    assert started is not None
    return started


def _transform_output(call: Call, repo: str) -> bool:
    try:
        spec = call.client.inspect_pipeline(repo).effective_spec
    except NotFound:
        return False
    return "spout" not in spec and "service" not in spec


def wait_for(call: Call, ref: str, wait: pfs.CommitState) -> CommitInfo:
    """The commit once it is in the state asked for (pachd's waitForCommit): STARTED at
    once, READY once its direct provenance is finished, FINISHING or FINISHED once it is
    finished (pachlite finishes in one step). Gives up when the client goes away."""
    client = call.client
    info = client.inspect_commit(ref)
    delay = 0.005
    while not _reached(call, info, wait):
        left = call.time_remaining()
        if left is not None and left <= 0:
            raise status.Status(grpc.StatusCode.DEADLINE_EXCEEDED, f"{ref} is still open")
        if not call.is_active():
            raise status.Status(grpc.StatusCode.CANCELLED, f"stopped waiting for {ref}")
        time.sleep(min(delay, left) if left is not None else delay)
        delay = min(delay * 2, MAX_POLL_S)
        info = client.inspect_commit(f"{info.repo}@{info.id}")
    return info


def _reached(call: Call, info: CommitInfo, wait: pfs.CommitState) -> bool:
    if info.is_finished:
        return True
    if wait in (pfs.CommitState.FINISHING, pfs.CommitState.FINISHED):
        return False
    if wait == pfs.CommitState.READY:
        return all(call.client.inspect_commit(c).is_finished for c in info.direct_provenance)
    return True  # STARTED, or no wait


def _list(call: Call, request: Message) -> list[CommitInfo]:
    """pachd's listCommit: without `to`, every commit of the repo (or of every repo),
    newest first or with `reverse` oldest first, `started_time` keeping those started
    before it (after it, reversed); with `to`, its history back to `from_` (excluded)."""
    client = call.client
    if not given(request.repo):
        raise _unknown("repo cannot be nil")
    repo = repo_name(request.repo) if request.repo.name else None
    origin = messages.origin(request.origin_kind) if not request.all else None
    has_from, has_to = given(request.from_), given(request.to)
    for end in (request.from_, request.to):
        if given(end) and (repo is None or commit_ref(end).partition("@")[0] != repo):
            shown = shown_repo(request.repo) or ""
            raise _unknown(f"`from` and `to` commits need to be from repo {shown}")
    if repo is not None:
        client.inspect_repo(repo)
    if has_from and not has_to:
        raise _unknown("cannot use `from` commit without `to` commit")
    if has_to:
        if request.reverse:
            raise _unknown("cannot use 'Reverse' while also using 'From' or 'To'")
        stop = client.inspect_commit(commit_ref(request.from_)).id if has_from else None
        history = client.list_commit(commit_ref(request.to), origin=None)
        found = []
        for info in history:
            if info.id == stop:
                break
            found.append(info)
        if origin is not None:
            found = [c for c in found if str(c.origin) == origin]
    else:
        found = client.list_commit(repo, origin=origin)
        if not _epoch(request.started_time):
            # Compared as Timestamps (microseconds), the precision the client saw them in.
            since = request.started_time
            if request.reverse:
                found = [c for c in found if _started(c) > since]
            else:
                found = [c for c in found if _started(c) < since]
        if request.reverse:
            found.reverse()
    return found[: request.number] if request.number > 0 else found
