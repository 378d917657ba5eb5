"""Puts into an open commit are staged, then folded into its tree: what a user sees is the same.

Reads of the open commit see every put, in the order puts, appends and deletes were made;
conflicts are refused as before; finishing makes the commit whole and immutable; fsck checks
what is staged; a read-only view of a store with staged puts still reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pachlite import Client
from pachlite.errors import Conflict
from pachlite.model import DiffKind
from tests.support.mounts import read_only_view


def open_commit(client: Client, files: dict[str, bytes] | None = None) -> str:
    """`r@<id>` of an open commit on r@master, whose parent holds `files`."""
    client.create_repo("r")
    if files:
        with client.commit("r@master"):
            for path, data in files.items():
                client.put_file_bytes(f"r@master:{path}", data)
    info = client.start_commit("r@master")
    return f"r@{info.id}"


def test_a_staged_put_reads_back_before_the_commit_is_finished(client: Client) -> None:
    target = open_commit(client, {"/old": b"parent"})
    info = client.put_file_bytes(f"{target}:/a/one", b"1")
    assert info.size_bytes == len(b"parent") + 1  # the returned commit counts the put
    client.put_file_bytes(f"{target}:/a/two", b"22")
    assert client.get_file(f"{target}:/a/one") == b"1"
    assert [f.path for f in client.list_file(f"{target}:/a")] == ["/a/one", "/a/two"]
    assert client.inspect_commit(target).size_bytes == len(b"parent") + 3
    assert client.inspect_commit(target).finished is None
    # More puts after a read are seen by the next read, then by the finished commit.
    client.put_file_bytes(f"{target}:/a/three", b"333")
    assert client.inspect_file(f"{target}:/a").size_bytes == 6
    assert client.inspect_repo("r").size_bytes == len(b"parent") + 6
    client.finish_commit(target)
    assert sorted(p for p, _, _ in client.walk_file(f"{target}:/")) == [
        "/a/one",
        "/a/three",
        "/a/two",
        "/old",
    ]
    diff = client.diff_file(f"{target}:/")
    assert [(d.path, d.kind) for d in diff] == [
        ("/a/one", DiffKind.ADDED),
        ("/a/three", DiffKind.ADDED),
        ("/a/two", DiffKind.ADDED),
    ]
    with pytest.raises(Conflict, match="is finished"):
        client.put_file_bytes(f"{target}:/late", b"x")


def test_overwrite_append_and_delete_apply_in_the_order_made(client: Client) -> None:
    target = open_commit(client, {"/log": b"base\n", "/d/old": b"o"})
    client.put_file_bytes(f"{target}:/log", b"one\n", append=True)
    client.put_file_bytes(f"{target}:/log", b"two\n", append=True)
    client.put_file_bytes(f"{target}:/d/new", b"n")
    client.delete_file(f"{target}:/d", recursive=True)  # the staged /d/new goes with it
    client.put_file_bytes(f"{target}:/d/again", b"a")
    client.put_file_bytes(f"{target}:/x", b"first")
    client.put_file_bytes(f"{target}:/x", b"second")
    client.put_file_bytes(f"{target}:/x", b"!", append=True)
    client.finish_commit(target)
    assert client.get_file(f"{target}:/log") == b"base\none\ntwo\n"
    assert client.get_file(f"{target}:/x") == b"second!"
    assert [f.path for f in client.list_file(f"{target}:/d")] == ["/d/again"]
    assert client.inspect_commit(target).size_bytes == sum(
        size for _, size, _ in client.walk_file(f"{target}:/")
    )


def test_staged_puts_refuse_a_file_where_a_directory_is_and_back(client: Client) -> None:
    target = open_commit(client, {"/file": b"f", "/dir/in": b"i"})
    client.put_file_bytes(f"{target}:/staged/in", b"s")
    client.put_file_bytes(f"{target}:/flat", b"s")
    for path, message in [
        ("/file/below", "/file is a file"),  # a file of the parent
        ("/flat/below", "/flat is a file"),  # a staged file
        ("/dir", "it is a directory"),  # a directory of the parent
        ("/staged", "it is a directory"),  # a directory only staged puts make
    ]:
        with pytest.raises(Conflict, match=message):
            client.put_file_bytes(f"{target}:{path}", b"x")
    client.finish_commit(target)
    assert sorted(p for p, _, _ in client.walk_file(f"{target}:/")) == [
        "/dir/in",
        "/file",
        "/flat",
        "/staged/in",
    ]


def test_a_copy_of_a_file_is_staged_and_a_deleted_open_commit_leaves_nothing(
    client: Client,
) -> None:
    target = open_commit(client, {"/src": b"copied"})
    client.copy_file("r@master^:/src", f"{target}:/dst")
    assert client.get_file(f"{target}:/dst") == b"copied"
    second = client.put_file_bytes(f"{target}:/more", b"m")
    client.delete_commit(f"r@{second.id}")
    report = client.fsck()
    assert report.ok, report.problems
    assert report.unreferenced_objects == 1  # "m", staged on the deleted commit only


def test_fsck_reports_a_staged_put_whose_object_is_missing(client: Client) -> None:
    target = open_commit(client)
    client.put_file_bytes(f"{target}:/kept", b"kept")
    client.put_file_bytes(f"{target}:/lost", b"lost bytes")
    clean = client.fsck()
    assert clean.ok and clean.unreferenced_objects == 0  # staged objects are referenced
    lost = client.store.objects.path(client.store.objects.put_bytes(b"lost bytes")[0])
    lost.unlink()
    report = client.fsck()
    assert not report.ok
    assert any("staged put /lost" in p and "missing" in p for p in report.problems)


def test_a_read_only_view_reads_staged_puts(client: Client, tmp_path: Path) -> None:
    target = open_commit(client, {"/old": b"o"})
    for i in range(3):
        client.put_file_bytes(f"{target}:/new/{i}", b"%d" % i)
    client.close()
    with read_only_view(tmp_path / "store", tmp_path / "ro") as (view, prefix):
        if prefix:
            pytest.skip("no read-only mount here: this process would still write")
        with Client(view) as reader:
            assert reader.get_file(f"{target}:/new/2") == b"2"
            assert len(reader.list_file(f"{target}:/new")) == 3
            assert reader.inspect_commit(target).size_bytes == 4
    with Client(tmp_path / "store") as writer:  # the rows are still there to finish with
        writer.finish_commit(target)
        assert len(writer.list_file(f"{target}:/new")) == 3
        assert writer.fsck().ok
