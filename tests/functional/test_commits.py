"""Commits: open/finished, origin, parents, ancestry syntax, waiting, squash and delete."""

import threading
import time

import pytest

from pachlite import Client
from pachlite.errors import CommitNotFound, Conflict, Timeout
from pachlite.model import Origin


def test_put_without_open_commit_makes_and_finishes_one(client: Client) -> None:
    client.create_repo("r")
    info = client.put_file_bytes("r@master:/a.txt", b"hi", message="first data")
    assert info.is_finished and info.origin == Origin.USER
    assert info.description == "first data"
    assert info.parent is None
    second = client.put_file_bytes("r@master:/b.txt", b"there")
    assert second.parent == info.id
    assert client.inspect_commit(f"r@{info.id}").children == [second.id]


def test_puts_into_an_open_commit_land_together(client: Client) -> None:
    client.create_repo("r")
    opened = client.start_commit("r@master", description="batch 1")
    client.put_file_bytes("r@master:/a", b"1")
    client.put_file_bytes(f"r@{opened.id}:/b", b"2")
    # An open commit is readable and shows what has been put so far.
    assert [f.path for f in client.list_file("r@master:/")] == ["/a", "/b"]
    assert not client.inspect_commit("r@master").is_finished
    done = client.finish_commit("r@master")
    assert done.id == opened.id and done.is_finished and done.description == "batch 1"
    assert len(client.list_commit("r")) == 1


def test_finished_commits_are_immutable(client: Client) -> None:
    client.create_repo("r")
    info = client.put_file_bytes("r@master:/a", b"1")
    with pytest.raises(Conflict, match="finished"):
        client.put_file_bytes(f"r@{info.id}:/a", b"2")
    with pytest.raises(Conflict, match="already finished"):
        client.finish_commit(f"r@{info.id}")
    assert client.get_file(f"r@{info.id}:/a") == b"1"


def test_only_one_open_commit_per_branch(client: Client) -> None:
    client.create_repo("r")
    client.start_commit("r@master")
    with pytest.raises(Conflict, match="already has an open commit"):
        client.start_commit("r@master")


def test_ancestry_syntax(client: Client) -> None:
    client.create_repo("r")
    ids = [client.put_file_bytes("r@master:/n", str(i).encode()).id for i in range(4)]
    assert client.inspect_commit("r@master").id == ids[3]
    assert client.inspect_commit("r@master^").id == ids[2]
    assert client.inspect_commit("r@master^2").id == ids[1]
    assert client.inspect_commit("r@master~3").id == ids[0]
    assert client.inspect_commit("r@master.1").id == ids[0]
    assert client.inspect_commit("r@master.2^").id == ids[0]
    assert client.get_file("r@master^3:/n") == b"0"
    with pytest.raises(CommitNotFound, match="history has only 3"):
        client.inspect_commit("r@master^4")
    with pytest.raises(CommitNotFound, match=r"has 4 commits"):
        client.inspect_commit("r@master.5")


def test_start_commit_with_explicit_parent_forks_a_branch(client: Client) -> None:
    client.create_repo("r")
    first = client.put_file_bytes("r@master:/a", b"1")
    client.put_file_bytes("r@master:/a", b"2")
    fork = client.start_commit("r@patch", parent="master^")
    assert fork.parent == first.id
    client.put_file_bytes("r@patch:/b", b"x")
    client.finish_commit("r@patch")
    assert client.get_file("r@patch:/a") == b"1"


def test_list_commit_by_branch_repo_set_and_origin(client: Client) -> None:
    client.create_repo("r")
    a = client.put_file_bytes("r@master:/a", b"1")
    client.put_file_bytes("r@dev:/a", b"2")
    b = client.put_file_bytes("r@master:/a", b"3")
    assert [c.id for c in client.list_commit("r@master")] == [b.id, a.id]
    assert len(client.list_commit("r")) == 3
    assert [c.id for c in client.list_commit("r", number=1)] == [b.id]
    assert [c.repo for c in client.list_commit(a.id)] == ["r"]
    assert client.list_commit("r", origin="AUTO") == []


def test_finish_with_error_records_it(client: Client) -> None:
    client.create_repo("r")
    client.start_commit("r@master")
    info = client.finish_commit("r@master", error="datum 1 failed")
    assert info.error == "datum 1 failed"


def test_wait_commit_returns_when_another_thread_finishes(client: Client) -> None:
    client.create_repo("r")
    opened = client.start_commit("r@master")
    with pytest.raises(Timeout, match="still open"):
        client.wait_commit("r@master", timeout=0.05)

    def finish_later() -> None:
        time.sleep(0.2)
        client.finish_commit(f"r@{opened.id}")

    thread = threading.Thread(target=finish_later)
    thread.start()
    waited = client.wait_commit("r@master", timeout=10)
    thread.join()
    assert [c.is_finished for c in waited] == [True]


def test_squash_folds_a_commit_into_its_child(client: Client) -> None:
    client.create_repo("r")
    a = client.put_file_bytes("r@master:/a", b"1")
    b = client.put_file_bytes("r@master:/b", b"2")
    c = client.put_file_bytes("r@master:/c", b"3")
    with pytest.raises(Conflict, match="head of branch"):
        client.squash_commit(c.id)
    client.squash_commit(b.id)
    assert [x.id for x in client.list_commit("r@master")] == [c.id, a.id]
    assert sorted(f.path for f in client.list_file("r@master:/")) == ["/a", "/b", "/c"]
    assert [d.path for d in client.diff_file("r@master")] == ["/b", "/c"]
    assert client.fsck().ok


def test_delete_commit_drops_the_newest_and_moves_the_head_back(client: Client) -> None:
    client.create_repo("r")
    a = client.put_file_bytes("r@master:/a", b"1")
    b = client.put_file_bytes("r@master:/b", b"2")
    with pytest.raises(Conflict, match="built on it"):
        client.delete_commit(f"r@{a.id}")
    client.delete_commit("r@master")
    assert client.inspect_commit("r@master").id == a.id
    with pytest.raises(CommitNotFound):
        client.inspect_commit(f"r@{b.id}")
    # An open commit can be abandoned the same way.
    client.start_commit("r@master")
    client.put_file_bytes("r@master:/junk", b"x")
    client.delete_commit("r@master")
    assert [f.path for f in client.list_file("r@master:/")] == ["/a"]


def test_commit_context_manager(client: Client) -> None:
    client.create_repo("r")
    with client.commit("r@master", description="ctx") as info:
        client.put_file_bytes("r@master:/a", b"1")
        client.put_file_bytes("r@master:/b", b"2")
    done = client.inspect_commit(f"r@{info.id}")
    assert done.is_finished and done.description == "ctx" and done.size_bytes == 2
