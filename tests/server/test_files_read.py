"""GetFile, GetFileTAR and the FileInfo calls through the real SDK: bytes, tars the SDK's
helpers read, and the fields pachd fills."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]

FILES = {"/a.txt": b"alpha", "/dir/b.txt": b"bravo!", "/dir/sub/c.bin": b"\x00\x01" * 700}


@pytest.fixture
def repo(sdk: Any, name: Name) -> pfs.Repo:
    repo = pfs.Repo(name=name("reads"))
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        for path, data in FILES.items():
            commit.put_file_from_bytes(path, data)
    return repo


def file(repo: pfs.Repo, path: str) -> pfs.File:
    return pfs.File.from_uri(f"{repo.name}@master:{path}")


def test_get_file_streams_the_bytes_from_an_offset(sdk: Any, repo: pfs.Repo) -> None:
    assert sdk.pfs.pfs_file(file(repo, "/dir/b.txt")).read() == b"bravo!"
    chunks = sdk.pfs.get_file(file=file(repo, "/dir/b.txt"), offset=2)
    assert b"".join(c.value for c in chunks) == b"avo!"


def test_get_file_of_a_directory_says_to_use_the_tar(sdk: Any, repo: pfs.Repo) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        b"".join(c.value for c in sdk.pfs.get_file(file=file(repo, "/dir")))
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert "Use GetFileTAR instead" in raised.value.details()


def test_get_file_tar_of_a_directory_and_of_a_file(sdk: Any, repo: pfs.Repo) -> None:
    with sdk.pfs.pfs_tar_file(file(repo, "/dir")) as tar:
        members = {m.name: (m.isdir(), tar.extractfile(m).read() if m.isfile() else None)
                   for m in tar}  # fmt: skip
    assert members == {
        "dir": (True, None),
        "dir/b.txt": (False, b"bravo!"),
        "dir/sub": (True, None),
        "dir/sub/c.bin": (False, FILES["/dir/sub/c.bin"]),
    }
    with sdk.pfs.pfs_tar_file(file(repo, "/a.txt")) as tar:
        only = [(m.name, tar.extractfile(m).read()) for m in tar]
    assert only == [("a.txt", b"alpha")]


def test_inspect_file_fills_type_size_hash_and_committed(sdk: Any, repo: pfs.Repo) -> None:
    head = sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{repo.name}@master"))
    info = sdk.pfs.inspect_file(file=file(repo, "/a.txt"))
    assert info.file.path == "/a.txt"
    assert info.file.commit.id == head.commit.id
    assert info.file_type == pfs.FileType.FILE
    assert info.size_bytes == 5
    assert info.hash == hashlib.sha256(b"alpha").digest()
    assert info.committed == head.finished
    folder = sdk.pfs.inspect_file(file=file(repo, "/dir"))
    assert (folder.file.path, folder.file_type) == ("/dir/", pfs.FileType.DIR)
    assert folder.size_bytes == len(FILES["/dir/b.txt"]) + len(FILES["/dir/sub/c.bin"])


def test_an_open_commit_has_no_committed_time(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("open"))
    sdk.pfs.create_repo(repo=repo)
    commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    sdk.pfs.put_file_from_bytes(commit=commit, path="/x", data=b"x")
    info = sdk.pfs.inspect_file(file=pfs.File(commit=commit, path="/x"))
    assert info.size_bytes == 1
    assert info.committed is None or info.committed.timestamp() == 0
    sdk.pfs.finish_commit(commit=commit)


def test_list_file_lists_children_or_the_file(sdk: Any, repo: pfs.Repo) -> None:
    listed = [(i.file.path, i.file_type) for i in sdk.pfs.list_file(file=file(repo, "/"))]
    assert listed == [("/a.txt", pfs.FileType.FILE), ("/dir/", pfs.FileType.DIR)]
    assert [i.file.path for i in sdk.pfs.list_file(file=file(repo, "/a.txt"))] == ["/a.txt"]
    newest = sdk.pfs.list_file(file=file(repo, "/"), reverse=True, number=1)
    assert [i.file.path for i in newest] == ["/dir/"]
    after = sdk.pfs.list_file(file=file(repo, "/"), pagination_marker=file(repo, "/a.txt"))
    assert [i.file.path for i in after] == ["/dir/"]


def test_walk_file_is_depth_first_with_directories(sdk: Any, repo: pfs.Repo) -> None:
    walked = [i.file.path for i in sdk.pfs.walk_file(file=file(repo, "/dir"))]
    assert walked == ["/dir/", "/dir/b.txt", "/dir/sub/", "/dir/sub/c.bin"]


def test_glob_file_matches_and_an_empty_match_is_no_error(sdk: Any, repo: pfs.Repo) -> None:
    commit = pfs.Commit.from_uri(f"{repo.name}@master")
    found = [i.file.path for i in sdk.pfs.glob_file(commit=commit, pattern="/dir/*")]
    assert found == ["/dir/b.txt", "/dir/sub/"]
    assert list(sdk.pfs.glob_file(commit=commit, pattern="/nothing*")) == []


def test_diff_file_against_the_parent_and_another_commit(sdk: Any, repo: pfs.Repo) -> None:
    first = sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{repo.name}@master")).commit
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_file(path="/a.txt", file=io.BytesIO(b"ALPHA"))
        commit.delete_file(path="/dir/b.txt")
        commit.put_file_from_bytes("/new", b"n")
    diffs = {
        (d.new_file.file.path if d.new_file else None, d.old_file.file.path if d.old_file else None)
        for d in sdk.pfs.diff_file(new_file=file(repo, "/"))
        if not (d.new_file or d.old_file).file.path.endswith("/")
    }
    assert diffs == {("/a.txt", "/a.txt"), (None, "/dir/b.txt"), ("/new", None)}
    against = list(
        sdk.pfs.diff_file(new_file=file(repo, "/new"), old_file=pfs.File(commit=first, path="/new"))
    )
    # An unset FileInfo reads as an empty one (betterproto); it is falsy.
    assert [(d.new_file.file.path, bool(d.old_file)) for d in against] == [("/new", False)]


def test_listings_are_in_pachds_whole_path_order(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("order"))
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_bytes("a/b.txt", b"1")  # a relative path is from the root
        commit.put_file_from_bytes("/a/b/c", b"2")
    walked = [i.file.path for i in sdk.pfs.walk_file(file=pfs.File(commit=commit, path="/a"))]
    # '.' sorts before '/': the file "b.txt" before the directory "b/".
    assert walked == ["/a/", "/a/b.txt", "/a/b/", "/a/b/c"]
    listed = [i.file.path for i in sdk.pfs.list_file(file=pfs.File(commit=commit, path="/a"))]
    assert listed == ["/a/b.txt", "/a/b/"]


def test_diff_file_of_two_paths_matches_files_by_their_whole_path(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("diff2"))
    sdk.pfs.create_repo(repo=repo)
    branch = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=branch) as old:
        old.put_file_from_bytes(path="/one", data=b"1")
        two_old = old.put_file_from_bytes(path="/two", data=b"2")
    with sdk.pfs.commit(branch=branch) as new:
        one_new = new.put_file_from_bytes(path="/one", data=b"1 again")
    diffs = list(sdk.pfs.diff_file(new_file=one_new, old_file=two_old))
    assert [(d.new_file.file.path, d.old_file.file.path) for d in diffs] == [
        ("/one", ""),
        ("", "/two"),
    ]
    assert diffs[1].old_file.file.commit.id == old.id


def test_get_file_and_its_tar_take_a_glob(sdk: Any, repo: pfs.Repo) -> None:
    assert sdk.pfs.pfs_file(file(repo, "/dir/*.txt")).read() == b"bravo!"
    with pytest.raises(grpc.RpcError) as raised:
        b"".join(c.value for c in sdk.pfs.get_file(file=file(repo, "/dir/*")))
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert raised.value.details() == "matched multiple files. Use GetFileTAR instead"
    with sdk.pfs.pfs_tar_file(file(repo, "/**.txt")) as tar:
        assert sorted(m.name for m in tar) == ["a.txt", "dir/b.txt"]
    with pytest.raises(grpc.RpcError) as raised:
        b"".join(c.value for c in sdk.pfs.get_file(file=file(repo, "/nothing*")))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
