"""pfs_v2 FindCommits: the commits, from `start` back through its parents, that changed a
path (pachd's findCommits, src/server/pfs/server/server_commit.go).

Each found commit is sent as it is found; the last message names the last commit searched
and how many were. A client deadline ends the search early, at 85% of it as in pachd, with
that last message rather than an error. pachlite compares a commit's content with its
parent's, so a file written again with the same bytes is no change here (pachd counts the
write).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
from pachyderm_sdk.api import pfs

from pachlite.errors import FileNotFound
from pachlite.model import CommitInfo
from pachlite.server import messages, status
from pachlite.server.refs import commit_ref, commit_subject, shown_commit, shown_repo
from pachlite.server.registry import Call, Message, Registry

SEARCH_SHARE = 0.85  # of the client's deadline, leaving time to send the last message


def _modified(call: Call, info: CommitInfo, path: str) -> bool:
    try:
        diffs = call.client.diff_file(f"{info.uri}:{path}")
    except FileNotFound:
        return False
    return any(diff.path == path for diff in diffs)


def find_commits(request: Message, call: Call) -> Iterator[Message]:
    path = request.file_path if request.file_path.startswith("/") else f"/{request.file_path}"
    left = call.time_remaining()
    stop_at = None if left is None else time.monotonic() + SEARCH_SHARE * left
    shown = shown_commit(request.start)
    info = call.client.inspect_commit(commit_ref(request.start))
    found = searched = 0
    while stop_at is None or time.monotonic() < stop_at:
        if not info.is_finished:
            raise status.Status(grpc.StatusCode.UNAVAILABLE, f"commit {shown} not finished")
        if _modified(call, info, path):
            found += 1
            yield pfs.FindCommitsResponse(
                found_commit=messages.commit(info.uri), commits_searched=searched
            )
        searched += 1
        if (request.limit and found == request.limit) or info.parent is None:
            break
        info = call.client.inspect_commit(f"{info.repo}@{info.parent}")
        shown = f"{shown_repo(messages.repo(info.repo))}@{info.id}"
    yield pfs.FindCommitsResponse(
        last_searched_commit=messages.commit(info.uri), commits_searched=searched
    )


def register(served: Registry) -> None:
    served.stream("pfs_v2.API", "FindCommits", pfs.FindCommitsRequest,
                  lambda r: commit_subject(r.start), lazy=True)(find_commits)  # fmt: skip
