"""File sets through the real SDK stub: made apart from a commit, renewed, composed, added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]


def add(path: str, data: bytes) -> pfs.ModifyFileRequest:
    return pfs.ModifyFileRequest(add_file=pfs.AddFile(path=path, raw=data))


def delete(path: str) -> pfs.ModifyFileRequest:
    return pfs.ModifyFileRequest(delete_file=pfs.DeleteFile(path=path))


def walked(sdk: Any, commit: pfs.Commit) -> dict[str, bytes]:
    root = pfs.File(commit=commit, path="/")
    return {
        info.file.path: sdk.pfs.pfs_file(pfs.File(commit=commit, path=info.file.path)).read()
        for info in sdk.pfs.walk_file(file=root)
        if info.file_type == pfs.FileType.FILE
    }


def test_a_file_set_lands_in_a_commit_only_when_added(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("sets"))
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_bytes("/old", b"old")
        commit.put_file_from_bytes("/log", b"a")
    first = sdk.pfs.create_file_set(iter([delete("/old"), add("/new", b"new"), add("/log", b"b")]))
    second = sdk.pfs.create_file_set(iter([add("/log", b"c")]))
    sdk.pfs.renew_file_set(file_set_id=first.file_set_id, ttl_seconds=60)
    both = sdk.pfs.compose_file_set(file_set_ids=[first.file_set_id, second.file_set_id])
    open_commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    assert walked(sdk, open_commit) == {"/log": b"a", "/old": b"old"}
    sdk.pfs.add_file_set(commit=open_commit, file_set_id=both.file_set_id)
    sdk.pfs.finish_commit(commit=open_commit)
    # add_file adds to a file's end, in a file set as in ModifyFile.
    assert walked(sdk, open_commit) == {"/log": b"abc", "/new": b"new"}


def test_an_unknown_file_set_is_not_found_and_a_long_ttl_refused(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("sets"))
    sdk.pfs.create_repo(repo=repo)
    commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.add_file_set(commit=commit, file_set_id="f" * 32)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    made = sdk.pfs.create_file_set(iter([add("/x", b"x")]))
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.renew_file_set(file_set_id=made.file_set_id, ttl_seconds=3600)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.create_file_set(iter([pfs.ModifyFileRequest(set_commit=commit)]))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    sdk.pfs.finish_commit(commit=commit)
    assert walked(sdk, commit) == {}
