"""Client.file_changes: changes gathered, then applied in one transaction (what the gRPC
server's ModifyFile and file sets are built on)."""

from __future__ import annotations

import pytest

from pachlite import Client
from pachlite.errors import Conflict, FileNotFound, InvalidArgument


def files_of(client: Client, ref: str) -> dict[str, bytes]:
    return {path: client.get_file(f"{ref}:{path}") for path, _, _ in client.walk_file(f"{ref}:/")}


def test_nothing_lands_before_apply_and_everything_after(client: Client) -> None:
    client.create_repo("data")
    client.put_file_bytes("data@master:/old", b"old")
    open_commit = client.start_commit("data@master")
    ref = f"data@{open_commit.id}"
    changes = client.file_changes(ref)
    changes.delete("/old")
    changes.put("/a", [b"he", b"llo"])
    changes.put("/a", [b"!"], append=True)
    changes.delete("/never-was")
    assert files_of(client, ref) == {"/old": b"old"}
    changes.apply()
    assert files_of(client, ref) == {"/a": b"hello!"}


def test_a_delete_then_an_append_is_an_overwrite(client: Client) -> None:
    client.create_repo("data")
    client.put_file_bytes("data@master:/f", b"before")
    changes = client.file_changes("data@master")
    changes.delete("/f")
    changes.put("/f", [b"after"], append=True)
    assert len(changes) == 1  # folded into one put
    info = changes.apply()
    assert info.is_finished  # a branch with a finished head: a new commit, finished
    assert client.get_file("data@master:/f") == b"after"


def test_copies_and_file_sets(client: Client) -> None:
    client.create_repo("data")
    client.put_file_bytes("data@master:/dir/x", b"x")
    file_set = client.file_changes(None)
    file_set.copy("data@master:/dir", "/copied")
    file_set.copy("data@master:/dir/x", "/dir/x", append=True)
    with pytest.raises(InvalidArgument):
        file_set.apply()
    changes = client.file_changes("data@master")
    changes.extend(file_set)
    changes.apply()
    assert files_of(client, "data@master") == {"/copied/x": b"x", "/dir/x": b"xx"}


def test_refusals(client: Client) -> None:
    client.create_repo("data")
    finished = client.put_file_bytes("data@master:/f", b"f")
    with pytest.raises(Conflict):
        client.file_changes(f"data@{finished.id}")
    changes = client.file_changes("data@master")
    with pytest.raises(FileNotFound):
        changes.copy("data@master:/missing", "/to")
    with pytest.raises(Conflict):
        changes.copy("data@master:/", "/to", append=True)
    with pytest.raises(InvalidArgument):
        changes.put("/../up", [b""])
    with pytest.raises(InvalidArgument):
        changes.apply()  # nothing to apply


def test_an_overwrite_of_a_directory_replaces_it(client: Client) -> None:
    # "delete, then add" onto a directory: the delete goes first, as in Pachyderm.
    client.create_repo("data")
    client.put_file_bytes("data@master:/d/x", b"x")
    open_commit = client.start_commit("data@master")
    changes = client.file_changes(f"data@{open_commit.id}")
    changes.delete("/d")
    changes.put("/d", [b"a file now"], append=True)
    changes.apply()
    assert files_of(client, f"data@{open_commit.id}") == {"/d": b"a file now"}
