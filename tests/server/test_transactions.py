"""transaction_v2 through the real SDK: writes recorded in a transaction take effect together
when it finishes, or not at all; batch, list, inspect, delete; pending ones outlive a restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs, transaction

from tests.support.cli import Cli
from tests.support.grpc_server import ServerProcess, start_server
from tests.support.sdk_calls import rpc_error

Name = Callable[[str], str]


def create_repo(name: str) -> Any:
    return transaction.TransactionRequest(
        create_repo=pfs.CreateRepoRequest(repo=pfs.Repo(name=name))
    )


def test_the_context_manager_applies_repos_branches_and_commits_at_once(
    server: ServerProcess, sdk: Any, server_cli: Cli, name: Name
) -> None:
    client = server.sdk()
    labels, images = pfs.Repo(name=name("labels")), pfs.Repo(name=name("images"))
    with client.transaction.transaction() as txn:
        client.pfs.create_repo(repo=labels, description="from a transaction")
        client.pfs.create_repo(repo=images)
        client.pfs.create_branch(branch=pfs.Branch(repo=labels, name="master"))
        with client.pfs.commit(branch=pfs.Branch(repo=images, name="master")) as commit:
            # Recorded, not made: nobody sees the repos yet, and the commit has the
            # transaction's ID (the ID of the commit set it will be in).
            assert commit.id == txn.id
            assert not sdk.pfs.repo_exists(labels)
            assert not client.pfs.repo_exists(images)
        pending = sdk.transaction.inspect_transaction(transaction=txn)
        assert [r.start_commit.branch.name for r in pending.requests if r.start_commit] == [
            "master"
        ]
        assert len(pending.requests) == 5
        assert pending.responses[3].commit.id == txn.id
        assert txn.id in [
            t.transaction.id for t in sdk.transaction.list_transaction().transaction_info
        ]

    assert client.transaction_id is None  # the context manager puts the old one back
    assert not sdk.transaction.transaction_exists(txn)
    assert sdk.pfs.inspect_repo(repo=labels).description == "from a transaction"
    head = sdk.pfs.inspect_commit(commit=pfs.Commit(branch=pfs.Branch(repo=images, name="master")))
    assert head.commit.id == txn.id
    assert head.finished.timestamp() > 0
    assert [b.branch.name for b in sdk.pfs.list_branch(repo=labels)] == ["master"]

    listed = server_cli("list", "repo").out
    assert labels.name in listed and images.name in listed
    shown = json.loads(
        server_cli("inspect", "commit", f"{images.name}@master", "--output", "json").out
    )
    assert shown["id"] == txn.id


def test_an_error_in_the_block_deletes_the_transaction_and_changes_nothing(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    client = server.sdk()
    repo = pfs.Repo(name=name("never"))
    started: list[Any] = []

    def give_up() -> None:
        with client.transaction.transaction() as txn:
            started.append(txn)
            client.pfs.create_repo(repo=repo)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        give_up()
    [txn] = started
    assert not sdk.transaction.transaction_exists(txn)
    assert not sdk.pfs.repo_exists(repo)


def test_nested_context_managers_each_have_their_own_transaction(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    client = server.sdk()
    outer_repo, inner_repo = pfs.Repo(name=name("outer")), pfs.Repo(name=name("inner"))
    with client.transaction.transaction() as outer:
        client.pfs.create_repo(repo=outer_repo)
        with client.transaction.transaction() as inner:
            assert client.transaction_id == inner.id != outer.id
            client.pfs.create_repo(repo=inner_repo)
        assert sdk.pfs.repo_exists(inner_repo)
        assert not sdk.pfs.repo_exists(outer_repo)
        assert client.transaction_id == outer.id
    assert sdk.pfs.repo_exists(outer_repo)


def test_a_write_that_cannot_work_is_refused_at_once_and_not_recorded(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    taken = pfs.Repo(name=name("taken"))
    sdk.pfs.create_repo(repo=taken)
    client = server.sdk()
    txn = client.transaction.start_transaction()
    client.pfs.create_repo(repo=pfs.Repo(name=name("fine")))
    error = rpc_error(lambda: client.pfs.create_repo(repo=taken))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (
        error.details() == f"error running request 2 of 2: repo default/{taken.name} already exists"
    )
    assert len(sdk.transaction.inspect_transaction(transaction=txn).requests) == 1
    error = rpc_error(
        lambda: client.pfs.start_commit(branch=pfs.Branch.from_uri(f"{name('nowhere')}@master"))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details().startswith("error running request 2 of 2: repo default/nowhere")
    client.transaction.delete_transaction(transaction=txn)


def test_a_finish_that_fails_changes_nothing_and_leaves_the_transaction_pending(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    first, second = pfs.Repo(name=name("first")), pfs.Repo(name=name("second"))
    client = server.sdk()
    txn = client.transaction.start_transaction()
    assert client.transaction_id == txn.id
    client.pfs.create_repo(repo=first)
    client.pfs.create_repo(repo=second)
    sdk.pfs.create_repo(repo=second, description="made meanwhile")  # outside the transaction

    error = rpc_error(lambda: client.transaction.finish_transaction(transaction=txn))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (
        error.details()
        == f"error running request 2 of 2: repo default/{second.name} already exists"
    )
    assert not sdk.pfs.repo_exists(first)
    assert sdk.pfs.inspect_repo(repo=second).description == "made meanwhile"
    assert len(sdk.transaction.inspect_transaction(transaction=txn).requests) == 2

    sdk.pfs.delete_repo(repo=second)
    info = client.transaction.finish_transaction(transaction=txn)
    assert info.transaction.id == txn.id and len(info.responses) == 2
    assert sdk.pfs.repo_exists(first) and sdk.pfs.repo_exists(second)


def test_a_batch_is_applied_at_once_with_its_commits_in_one_set(sdk: Any, name: Name) -> None:
    names = [name("batch") for _ in range(3)]
    branch = pfs.Branch(repo=pfs.Repo(name=names[0]), name="master")
    info = sdk.transaction.batch_transaction(
        requests=[
            *(create_repo(n) for n in names),
            transaction.TransactionRequest(start_commit=pfs.StartCommitRequest(branch=branch)),
            transaction.TransactionRequest(
                finish_commit=pfs.FinishCommitRequest(commit=pfs.Commit(branch=branch))
            ),
        ]
    )
    assert len(info.requests) == len(info.responses) == 5
    assert info.responses[3].commit.id == info.transaction.id
    assert all(sdk.pfs.repo_exists(pfs.Repo(name=n)) for n in names)
    head = sdk.pfs.inspect_commit(commit=pfs.Commit(branch=branch))
    assert head.commit.id == info.transaction.id and head.finished.timestamp() > 0
    assert not sdk.transaction.transaction_exists(info.transaction)  # a batch is never pending


def test_a_batch_that_fails_applies_none_of_it(sdk: Any, name: Name) -> None:
    fresh, twice = name("fresh"), name("twice")
    error = rpc_error(
        lambda: sdk.transaction.batch_transaction(
            requests=[create_repo(fresh), create_repo(twice), create_repo(twice)]
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == f"error running request 3 of 3: repo default/{twice} already exists"
    assert not sdk.pfs.repo_exists(pfs.Repo(name=fresh))
    assert not sdk.pfs.repo_exists(pfs.Repo(name=twice))


def test_list_inspect_delete_and_unknown_transactions(server: ServerProcess, sdk: Any) -> None:
    one = server.sdk().transaction.start_transaction()
    two = server.sdk().transaction.start_transaction()
    listed = [t.transaction.id for t in sdk.transaction.list_transaction().transaction_info]
    assert one.id in listed and two.id in listed
    info = sdk.transaction.inspect_transaction(transaction=one)
    assert info.transaction.id == one.id and list(info.requests) == []
    assert info.started.timestamp() > 0

    sdk.transaction.delete_transaction(transaction=one)
    assert not sdk.transaction.transaction_exists(one)
    for call in (sdk.transaction.inspect_transaction, sdk.transaction.delete_transaction,
                 sdk.transaction.finish_transaction):  # fmt: skip
        error = rpc_error(lambda call=call: call(transaction=one))
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error.details() == f"transactions {one.id} not found"

    sdk.transaction.delete_all()
    assert sdk.transaction.list_transaction().transaction_info == []
    assert not sdk.transaction.transaction_exists(two)


def test_a_write_in_an_unknown_transaction_is_not_found(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    from pachyderm_sdk import Client

    client = Client(host="127.0.0.1", port=server.port, transaction_id="f" * 32)
    repo = pfs.Repo(name=name("orphan"))
    error = rpc_error(lambda: client.pfs.create_repo(repo=repo))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"transactions {'f' * 32} not found"
    assert not sdk.pfs.repo_exists(repo)


def test_a_pending_transaction_outlives_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "store"
    before = start_server(root)
    try:
        client = before.sdk()
        txn = client.transaction.start_transaction()
        client.pfs.create_repo(repo=pfs.Repo(name="kept"))
    finally:
        assert before.stop() == 0
    after = start_server(root)
    try:
        client = after.sdk()
        assert client.transaction.inspect_transaction(transaction=txn).requests[0].create_repo
        client.transaction.finish_transaction(transaction=txn)
        assert client.pfs.repo_exists(pfs.Repo(name="kept"))
    finally:
        assert after.stop() == 0


def test_a_transaction_starts_one_commit_per_repo(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("once"))
    sdk.pfs.create_repo(repo=repo)
    master, dev = pfs.Branch(repo=repo, name="master"), pfs.Branch(repo=repo, name="dev")
    error = rpc_error(
        lambda: sdk.transaction.batch_transaction(
            requests=[
                transaction.TransactionRequest(start_commit=pfs.StartCommitRequest(branch=master)),
                transaction.TransactionRequest(start_commit=pfs.StartCommitRequest(branch=dev)),
            ]
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details().startswith("error running request 2 of 2: commit ")
    assert error.details().endswith(" already exists")
    assert list(sdk.pfs.list_branch(repo=repo)) == []


def test_making_a_fresh_repo_as_pachyderms_own_tests_do_works_in_a_transaction(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    client = server.sdk()
    repo = pfs.Repo(name=name("fresh"), type="user", project=pfs.Project(name=""))
    with client.transaction.transaction():
        assert client.pfs.delete_repo(repo=repo, force=True).deleted is False
        client.pfs.create_repo(repo=repo)
        client.pfs.create_branch(branch=pfs.Branch.from_uri(f"{repo.name}@master"))
        assert client.pfs.delete_repo(repo=repo, force=True).deleted is True
        client.pfs.create_repo(repo=repo, description="second time")
    assert sdk.pfs.inspect_repo(repo=repo).description == "second time"


def test_a_branch_built_on_two_repos_gets_one_commit_from_both_new_heads(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    left, right, joined = (pfs.Repo(name=name(n)) for n in ("left", "right", "joined"))
    for repo in (left, right, joined):
        sdk.pfs.create_repo(repo=repo)
    heads = [pfs.Branch(repo=left, name="master"), pfs.Branch(repo=right, name="master")]
    for branch in heads:
        with sdk.pfs.commit(branch=branch):
            pass
    sdk.pfs.create_branch(branch=pfs.Branch(repo=joined, name="master"), provenance=heads)

    client = server.sdk()
    with client.transaction.transaction() as txn:
        for branch in heads:
            with client.pfs.commit(branch=branch):
                pass
    downstream = sdk.pfs.inspect_commit(
        commit=pfs.Commit(branch=pfs.Branch(repo=joined, name="master"))
    )
    # One commit in the set for the downstream branch, made from both inputs' new commits, as
    # pachd propagates a transaction's head moves once, at its end.
    assert downstream.commit.id == txn.id
    assert sorted((c.repo.name, c.id) for c in downstream.direct_provenance) == sorted(
        [(left.name, txn.id), (right.name, txn.id)]
    )
