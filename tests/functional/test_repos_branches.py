"""Repos and branches through the Python API."""

import pytest

from pachlite import Client
from pachlite.errors import AlreadyExists, BranchNotFound, Conflict, InvalidArgument, RepoNotFound


def test_create_list_inspect_delete_repo(client: Client) -> None:
    client.create_repo("images", "raw pictures")
    client.create_repo("labels")
    assert [r.name for r in client.list_repo()] == ["labels", "images"]
    info = client.inspect_repo("images")
    assert (info.description, info.type, info.size_bytes, info.branches) == (
        "raw pictures",
        "user",
        0,
        [],
    )
    client.delete_repo("labels")
    assert [r.name for r in client.list_repo()] == ["images"]


def test_duplicate_repo_is_refused_unless_updating(client: Client) -> None:
    client.create_repo("images")
    with pytest.raises(AlreadyExists, match="already exists"):
        client.create_repo("images")
    client.create_repo("images", "now described", update=True)
    assert client.inspect_repo("images").description == "now described"


def test_unknown_repo_suggests_the_close_one(client: Client) -> None:
    client.create_repo("images")
    with pytest.raises(RepoNotFound, match="did you mean 'images'"):
        client.inspect_repo("imagse")


def test_repo_size_is_the_largest_branch_head(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/a", b"12345")
    client.put_file_bytes("r@dev:/a", b"12")
    assert client.inspect_repo("r").size_bytes == 5
    assert client.inspect_repo("r").branches == ["dev", "master"]


def test_branch_head_can_be_moved_to_an_older_commit(client: Client) -> None:
    client.create_repo("r")
    first = client.put_file_bytes("r@master:/a", b"1")
    client.put_file_bytes("r@master:/a", b"2")
    client.create_branch("r@stable", head="master^")
    assert client.inspect_branch("r@stable").head == first.id
    assert client.get_file("r@stable:/a") == b"1"
    assert [b.name for b in client.list_branch("r")] == ["master", "stable"]


def test_unknown_branch_suggests_the_close_one(client: Client) -> None:
    client.create_repo("r")
    client.put_file_bytes("r@master:/a", b"1")
    with pytest.raises(BranchNotFound, match="did you mean 'master'"):
        client.get_file("r@mastr:/a")


def test_provenance_cycles_are_refused(client: Client) -> None:
    for name in "abc":
        client.create_repo(name)
        client.create_branch(f"{name}@master")
    client.create_branch("b@master", provenance=["a@master"])
    client.create_branch("c@master", provenance=["b@master"])
    with pytest.raises(InvalidArgument, match="cycle"):
        client.create_branch("a@master", provenance=["c@master"])
    with pytest.raises(InvalidArgument, match="its own provenance"):
        client.create_branch("a@master", provenance=["a@master"])
    info = client.inspect_branch("c@master")
    assert info.provenance == ["b@master", "a@master"]
    assert client.inspect_branch("a@master").subvenance == ["b@master", "c@master"]


def test_deleting_an_upstream_branch_or_repo_needs_force(client: Client) -> None:
    client.create_repo("a")
    client.create_repo("b")
    client.put_file_bytes("a@master:/x", b"1")
    client.create_branch("b@master", provenance=["a@master"])
    with pytest.raises(Conflict, match="provenance of b@master"):
        client.delete_branch("a@master")
    with pytest.raises(Conflict, match="provenance of b"):
        client.delete_repo("a")
    client.delete_repo("a", force=True)
    assert client.inspect_branch("b@master").direct_provenance == []
    assert client.fsck().ok
