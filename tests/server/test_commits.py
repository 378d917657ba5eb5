"""pfs_v2 commits through the real SDK: start, finish, inspect with wait, list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

from tests.support.sdk_calls import master_of, rpc_error

Name = Callable[[str], str]


def test_the_commit_context_manager_and_what_inspect_shows(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    before = time.time()
    with sdk.pfs.commit(branch=master, description="first") as first:
        pass
    with sdk.pfs.commit(branch=master) as second:
        pass
    info = sdk.pfs.inspect_commit(commit=first)
    assert info.commit.id == first.id
    assert info.commit.repo.name == master.repo.name
    assert info.origin.kind == pfs.OriginKind.USER
    assert info.description == "first"
    assert before - 1 <= info.started.timestamp() <= info.finished.timestamp() <= time.time() + 1
    assert info.finishing.timestamp() <= info.finished.timestamp()
    assert [c.id for c in info.child_commits] == [second.id]
    assert info.error == ""
    assert info.size_bytes_upper_bound == 0
    later = sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{master.repo.name}@master"))
    assert later.commit.id == second.id
    assert later.parent_commit.id == first.id


def test_finish_with_a_description_and_an_error(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    commit = sdk.pfs.start_commit(branch=master, description="start")
    sdk.pfs.finish_commit(commit=commit, description="done", error="it broke")
    info = sdk.pfs.inspect_commit(commit=commit)
    assert (info.description, info.error) == ("done", "it broke")


def test_a_second_start_while_the_head_is_open_is_refused(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    commit = sdk.pfs.start_commit(branch=master)
    error = rpc_error(lambda: sdk.pfs.start_commit(branch=master))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == (
        f"parent commit default/{master.repo.name}@{commit.id} has not been finished"
    )
    sdk.pfs.finish_commit(commit=commit)
    error = rpc_error(lambda: sdk.pfs.finish_commit(commit=commit))
    assert error.details() == f"commit default/{master.repo.name}@{commit.id} has already finished"


def test_start_commit_needs_a_branch(sdk: Any, name: Name) -> None:
    error = rpc_error(lambda: sdk.pfs.start_commit())
    assert error.details() == "branch must be specified"


def test_a_missing_commit_is_not_found(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    missing = pfs.Commit(repo=master.repo, id="0" * 32)
    error = rpc_error(lambda: sdk.pfs.inspect_commit(commit=missing))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"commit default/{master.repo.name}@{'0' * 32} not found"
    assert not sdk.pfs.commit_exists(missing)


def test_inspect_with_wait_returns_once_the_commit_finishes(sdk: Any, server: Any, name: Name):
    master = master_of(sdk, name)
    commit = sdk.pfs.start_commit(branch=master)
    assert sdk.pfs.inspect_commit(commit=commit, wait=pfs.CommitState.STARTED).finished.year == 1970
    other = server.sdk()  # a second client finishes it while the first one waits
    finisher = threading.Timer(0.5, lambda: other.pfs.finish_commit(commit=commit))
    finisher.start()
    try:
        started = time.monotonic()
        info = sdk.pfs.wait_commit(commit)
        waited = time.monotonic() - started
    finally:
        finisher.join()
    assert info.finished.timestamp() > 0
    assert waited >= 0.3


def test_a_waiting_inspect_ends_at_the_clients_deadline(sdk: Any, server: Any, name: Name):
    master = master_of(sdk, name)
    commit = sdk.pfs.start_commit(branch=master)
    request = pfs.InspectCommitRequest(commit=commit, wait=pfs.CommitState.FINISHED)
    with grpc.insecure_channel(server.address) as channel:
        call = channel.unary_unary(
            "/pfs_v2.API/InspectCommit",
            request_serializer=pfs.InspectCommitRequest.SerializeToString,
            response_deserializer=pfs.CommitInfo.FromString,
        )
        with pytest.raises(grpc.RpcError) as raised:
            call(request, timeout=0.5)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert sdk.pfs.inspect_commit(commit=commit).commit.id == commit.id  # still serving


def test_list_commit_orders_limits_and_walks_history(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    ids = []
    for _ in range(3):
        with sdk.pfs.commit(branch=master) as commit:
            pass
        ids.append(commit.id)
    repo = master.repo
    assert [c.commit.id for c in sdk.pfs.list_commit(repo=repo)] == ids[::-1]
    assert [c.commit.id for c in sdk.pfs.list_commit(repo=repo, reverse=True)] == ids
    assert [c.commit.id for c in sdk.pfs.list_commit(repo=repo, number=2)] == ids[:0:-1]
    head = pfs.Commit(repo=repo, id=ids[2])
    base = pfs.Commit(repo=repo, id=ids[0])
    walked = sdk.pfs.list_commit(repo=repo, to=head, from_=base)
    assert [c.commit.id for c in walked] == [ids[2], ids[1]]
    assert list(sdk.pfs.list_commit(repo=repo, origin_kind=pfs.OriginKind.AUTO)) == []


def test_list_commit_of_a_missing_repo_is_not_found(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("nowhere"))
    error = rpc_error(lambda: list(sdk.pfs.list_commit(repo=repo)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"repo default/{repo.name} not found"


def test_list_commit_from_a_start_time(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    with sdk.pfs.commit(branch=master) as first:
        pass
    time.sleep(0.01)
    with sdk.pfs.commit(branch=master) as second:
        pass
    since = sdk.pfs.inspect_commit(commit=second).started
    older = sdk.pfs.list_commit(repo=master.repo, started_time=since)
    assert [c.commit.id for c in older] == [first.id]
    newer = sdk.pfs.list_commit(repo=master.repo, started_time=since, reverse=True)
    assert [c.commit.id for c in newer] == []


def test_ready_waits_for_the_commits_provenance(sdk: Any, name: Name) -> None:
    upstream = master_of(sdk, name)
    with sdk.pfs.commit(branch=upstream):
        pass
    downstream = master_of(sdk, name)
    sdk.pfs.create_branch(branch=downstream, provenance=[upstream])
    head = sdk.pfs.inspect_branch(branch=downstream).head
    # Its input is finished, so it is READY while still open.
    info = sdk.pfs.inspect_commit(commit=head, wait=pfs.CommitState.READY)
    assert info.commit.id == head.id
    assert info.finished.year == 1970


def test_list_commit_from_or_to_another_repo_is_refused(sdk: Any, name: Name) -> None:
    master, other = master_of(sdk, name), master_of(sdk, name)
    with sdk.pfs.commit(branch=other) as elsewhere:
        pass
    error = rpc_error(lambda: list(sdk.pfs.list_commit(repo=master.repo, to=elsewhere)))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == (
        f"`from` and `to` commits need to be from repo default/{master.repo.name}"
    )
