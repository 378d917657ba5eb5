"""pfs_v2 SubscribeCommit through the real SDK: the repo's commits oldest first, then each new
one as it is made, filtered by branch, origin and state, open until the client cancels."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

from tests.support.cli import Cli
from tests.support.sdk_calls import master_of

Name = Callable[[str], str]
WAIT_S = 30.0  # what a test waits for a commit it expects (CI is slow, not this)


def empty_commit(sdk: Any, branch: pfs.Branch) -> pfs.Commit:
    with sdk.pfs.commit(branch=branch) as commit:
        pass
    return commit


class Subscription:
    """A SubscribeCommit call read on a thread, so a test can ask for the next answer with a
    timeout and cancel the call as a client does."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.answers: queue.Queue[Any] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for info in self.call:
                self.answers.put(info)
        except grpc.RpcError as error:
            self.answers.put(error)

    def next(self, timeout: float = WAIT_S) -> Any:
        answer = self.answers.get(timeout=timeout)
        if isinstance(answer, grpc.RpcError):
            raise answer
        return answer

    def nothing_for(self, seconds: float) -> bool:
        try:
            self.answers.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@contextmanager
def subscribed(server: Any, **fields: Any) -> Iterator[Subscription]:
    with grpc.insecure_channel(server.address) as channel:
        method = channel.unary_stream(
            "/pfs_v2.API/SubscribeCommit",
            request_serializer=pfs.SubscribeCommitRequest.SerializeToString,
            response_deserializer=pfs.CommitInfo.FromString,
        )
        subscription = Subscription(method(pfs.SubscribeCommitRequest(**fields)))
        try:
            yield subscription
        finally:
            subscription.call.cancel()
            subscription.reader.join(WAIT_S)


def test_the_sdks_subscription_sees_a_commit_made_after_it(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    first = empty_commit(sdk, master)
    answers = sdk.pfs.subscribe_commit(repo=master.repo, branch="master")
    assert next(answers).commit.id == first.id
    made = empty_commit(sdk, master)
    info = next(answers)
    assert info.commit.id == made.id
    assert info.commit.repo.name == master.repo.name
    assert info.commit.branch.name == ""  # as pachd sends a Commit: no branch
    answers.close()  # this does not cancel the SDK's call; the server ends it as it stops


def test_existing_commits_come_oldest_first_then_new_ones(
    sdk: Any, server: Any, name: Name
) -> None:
    master = master_of(sdk, name)
    old = [empty_commit(sdk, master).id for _ in range(3)]
    with subscribed(server, repo=master.repo) as subscription:
        assert [subscription.next().commit.id for _ in old] == old
        assert subscription.nothing_for(0.3)
        new = empty_commit(sdk, master)
        assert subscription.next().commit.id == new.id
    assert sdk.pfs.inspect_commit(commit=new).commit.id == new.id  # still serving


def test_from_leaves_out_that_commit_and_those_before_it(sdk: Any, server: Any, name: Name) -> None:
    master = master_of(sdk, name)
    empty_commit(sdk, master)
    start = empty_commit(sdk, master)
    after = empty_commit(sdk, master)
    with subscribed(server, repo=master.repo, from_=start) as subscription:
        assert subscription.next().commit.id == after.id
        assert subscription.nothing_for(0.3)


def test_a_branch_filter_leaves_out_other_branches(sdk: Any, server: Any, name: Name) -> None:
    master = master_of(sdk, name)
    dev = pfs.Branch(repo=master.repo, name="dev")
    with subscribed(server, repo=master.repo, branch="dev") as subscription:
        empty_commit(sdk, master)
        on_dev = empty_commit(sdk, dev)
        assert subscription.next().commit.id == on_dev.id
        assert subscription.nothing_for(0.3)


def test_state_finished_holds_an_open_commit_back_until_it_finishes(
    sdk: Any, server: Any, name: Name
) -> None:
    master = master_of(sdk, name)
    with subscribed(server, repo=master.repo, state=pfs.CommitState.FINISHED) as subscription:
        commit = sdk.pfs.start_commit(branch=master)
        assert subscription.nothing_for(0.5)
        sdk.pfs.finish_commit(commit=commit)
        info = subscription.next()
        assert info.commit.id == commit.id
        assert info.finished.timestamp() > 0
    with subscribed(server, repo=master.repo, state=pfs.CommitState.STARTED) as subscription:
        started = sdk.pfs.start_commit(branch=master)
        subscription.next()  # the finished one first
        assert subscription.next().commit.id == started.id


def test_origin_kind_picks_the_commits_provenance_made(sdk: Any, server: Any, name: Name) -> None:
    upstream = master_of(sdk, name)
    empty_commit(sdk, upstream)
    downstream = master_of(sdk, name)
    sdk.pfs.create_branch(branch=downstream, provenance=[upstream])  # an AUTO commit
    user = pfs.Branch(repo=downstream.repo, name="mine")
    mine = empty_commit(sdk, user)
    made = empty_commit(sdk, upstream)
    kind = pfs.OriginKind.AUTO
    with subscribed(server, repo=downstream.repo, origin_kind=kind) as subscription:
        auto = [subscription.next().commit.id for _ in range(2)]
        assert made.id in auto and mine.id not in auto
        assert subscription.nothing_for(0.3)
    with subscribed(server, repo=downstream.repo, all=True, origin_kind=kind) as subscription:
        assert mine.id in {subscription.next().commit.id for _ in range(3)}


def test_a_commit_the_cli_makes_reaches_the_subscriber(
    sdk: Any, server: Any, server_cli: Cli, name: Name, tmp_path: Path
) -> None:
    master = master_of(sdk, name)
    data = tmp_path / "hello.txt"
    data.write_bytes(b"hello\n")
    with subscribed(server, repo=master.repo, branch="master") as subscription:
        server_cli("put", "file", f"{master.repo.name}@master:/hello.txt", "-f", str(data))
        info = subscription.next()
    shown = server_cli("inspect", "commit", f"{master.repo.name}@master", "--output", "json")
    assert f'"{info.commit.id}"' in shown.out


def test_refusals(sdk: Any, server: Any, name: Name) -> None:
    master = master_of(sdk, name)
    other = master_of(sdk, name)
    missing = pfs.Repo(name=name("nowhere"))
    cases = [
        ({}, grpc.StatusCode.INVALID_ARGUMENT, "no repo specified"),  # the SDK fills a nameless one
        ({"repo": missing}, grpc.StatusCode.NOT_FOUND, f"repo default/{missing.name} not found"),
        (
            {"repo": master.repo, "from_": empty_commit(sdk, other)},
            grpc.StatusCode.UNKNOWN,
            f"the `from` commit needs to be from repo default/{master.repo.name}",
        ),
    ]
    for fields, code, text in cases:
        with subscribed(server, **fields) as subscription, pytest.raises(grpc.RpcError) as raised:
            subscription.next()
        assert (raised.value.code(), raised.value.details()) == (code, text)
