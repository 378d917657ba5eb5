"""pfs_v2 SubscribeCommit: a repo's commits, oldest first, then each new one as it is made,
until the client cancels (pachd's subscribeCommit, src/server/pfs/server/server_commit.go).

pachd watches Postgres notifications; pachlite polls. Between changes a poll is one
`PRAGMA data_version` (microseconds: it changes only when another connection commits), and
only after a change are the repo's commit IDs read again, from one index. Each commit is sent
once, when it has reached the state asked for (a commit still open holds back the ones after
it, as in pachd).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
from pachyderm_sdk.api import pfs

from pachlite.errors import CommitNotFound
from pachlite.model import CommitInfo
from pachlite.server import messages, status
from pachlite.server.refs import commit_ref, given, repo_name, repo_subject, shown_repo
from pachlite.server.registry import Call, Message, Registry
from pachlite.server.services.commits import wait_for

POLL_S = 0.05  # how often an idle subscription looks for a change to the store


def _wanted(request: Message, info: CommitInfo) -> bool:
    """pachd's filters: the branch the commit was made on; its origin unless `all`."""
    if request.branch and info.branch != request.branch:
        return False
    if request.all or not request.origin_kind:
        return True
    return str(info.origin) == messages.origin(request.origin_kind)


def subscribe_commit(request: Message, call: Call) -> Iterator[Message]:
    if not given(request.repo):
        raise status.Status(grpc.StatusCode.UNKNOWN, "repo cannot be nil")
    repo = repo_name(request.repo)
    client = call.client
    if given(request.from_) and commit_ref(request.from_).partition("@")[0] != repo:
        shown = shown_repo(request.repo)
        raise status.Status(
            grpc.StatusCode.UNKNOWN, f"the `from` commit needs to be from repo {shown}"
        )
    # The version first: a commit made after it is read is noticed by the next poll.
    version = client.store_version()
    ids = client.commit_ids(repo)
    seen: set[str] = set()
    if given(request.from_):
        # Commits made after `from`, as the API documents it; pachd 2.12 leaves out only
        # `from` itself (docs/api.md).
        start = client.inspect_commit(commit_ref(request.from_)).id
        if start in ids:
            seen.update(ids[: ids.index(start) + 1])
    while True:
        for commit_id in ids:
            if commit_id in seen:
                continue
            seen.add(commit_id)
            try:
                info = client.inspect_commit(f"{repo}@{commit_id}")
            except CommitNotFound:
                continue  # squashed or dropped since the IDs were read
            if _wanted(request, info):
                yield messages.commit_info(wait_for(call, info.uri, request.state))
        while True:  # a sleep each time round, so a busy store is no busy loop here
            if not call.is_active():
                return
            time.sleep(POLL_S)
            now = client.store_version()
            if now != version:
                break
        version = now
        ids = client.commit_ids(repo)


def register(served: Registry) -> None:
    served.stream("pfs_v2.API", "SubscribeCommit", pfs.SubscribeCommitRequest,
                  lambda r: repo_subject(r.repo), lazy=True)(subscribe_commit)  # fmt: skip
