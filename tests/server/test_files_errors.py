"""Bad file requests get pachd's codes and texts, and the server keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

from tests.support.grpc_server import ServerProcess

Name = Callable[[str], str]


@pytest.fixture
def repo(sdk: Any, name: Name) -> pfs.Repo:
    repo = pfs.Repo(name=name("errs"))
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_bytes("/here", b"here")
    return repo


def refused(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        result = call()
        if not isinstance(result, bytes | pfs.FileInfo):
            list(result)  # type: ignore[call-overload]  # a stream fails when read
    return raised.value


def head_id(sdk: Any, repo: pfs.Repo) -> str:
    return str(sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{repo.name}@master")).commit.id)


def test_a_missing_file_is_not_found_in_pachds_words(sdk: Any, repo: pfs.Repo) -> None:
    missing = pfs.File.from_uri(f"{repo.name}@master:/gone")
    text = f"file /gone not found in repo default/{repo.name} at commit {head_id(sdk, repo)}"
    for call in (
        lambda: sdk.pfs.inspect_file(file=missing),
        lambda: sdk.pfs.get_file(file=missing),
        lambda: sdk.pfs.get_file_tar(file=missing),
        lambda: sdk.pfs.list_file(file=missing),
        lambda: sdk.pfs.walk_file(file=missing),
    ):
        error = refused(call)
        assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, text)
    assert not sdk.pfs.path_exists(missing)
    assert sdk.pfs.path_exists(pfs.File.from_uri(f"{repo.name}@master:/here"))


def test_a_missing_repo_or_commit_is_not_found(sdk: Any, repo: pfs.Repo, name: Name) -> None:
    nowhere = name("no")
    error = refused(lambda: sdk.pfs.inspect_file(file=pfs.File.from_uri(f"{nowhere}@master:/x")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"repo default/{nowhere} not found"
    ghost = pfs.File.from_uri(f"{repo.name}@{'0' * 32}:/x")
    error = refused(lambda: sdk.pfs.get_file(file=ghost))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"commit default/{repo.name}@{'0' * 32} not found"


def test_writing_to_a_finished_commit_is_refused_as_pachd_does(sdk: Any, repo: pfs.Repo) -> None:
    finished = pfs.Commit(repo=repo, id=head_id(sdk, repo))
    error = refused(lambda: sdk.pfs.put_file_from_bytes(commit=finished, path="/x", data=b"x"))
    # pachd's ErrCommitFinished carries no status of its own: UNKNOWN (src/server/pfs/pfs.go).
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == f"commit default/{repo.name}@{finished.id} has already finished"
    assert [i.file.path for i in sdk.pfs.list_file(file=pfs.File(commit=finished, path="/"))] == [
        "/here"
    ]


@pytest.mark.parametrize("path", ["/../outside", "/a/./b", "/bad*glob"])
def test_a_path_outside_the_repo_or_with_glob_characters_is_invalid(
    sdk: Any, repo: pfs.Repo, path: str
) -> None:
    commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    error = refused(lambda: sdk.pfs.put_file_from_bytes(commit=commit, path=path, data=b"x"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "\n" not in error.details()
    sdk.pfs.finish_commit(commit=commit)
    assert [i.file.path for i in sdk.pfs.list_file(file=pfs.File(commit=commit, path="/"))] == [
        "/here"
    ]


def test_the_commit_is_named_first_and_only_first(sdk: Any, repo: pfs.Repo) -> None:
    # pachd's texts, UNKNOWN (errors.Errorf, no status of its own).
    add = pfs.ModifyFileRequest(add_file=pfs.AddFile(path="/x", raw=b"x"))
    error = refused(lambda: sdk.pfs.modify_file(iter([add])))
    assert (error.code(), error.details()) == (
        grpc.StatusCode.UNKNOWN,
        "first message must be a commit",
    )
    commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    again = pfs.ModifyFileRequest(set_commit=commit)
    error = refused(lambda: sdk.pfs.modify_file(iter([again, add, again, add])))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert "only be the first" in error.details()
    sdk.pfs.finish_commit(commit=commit)
    assert [i.file.path for i in sdk.pfs.list_file(file=pfs.File(commit=commit, path="/"))] == [
        "/here"
    ]


def test_a_huge_message_is_resource_exhausted_and_the_server_keeps_serving(
    sdk: Any, repo: pfs.Repo
) -> None:
    commit = sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    huge = pfs.ModifyFileRequest(add_file=pfs.AddFile(path="/huge", raw=b"\0" * (21 << 20)))
    error = refused(
        lambda: sdk.pfs.modify_file(iter([pfs.ModifyFileRequest(set_commit=commit), huge]))
    )
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    sdk.pfs.put_file_from_bytes(commit=commit, path="/after", data=b"fine")
    sdk.pfs.finish_commit(commit=commit)
    listed = [i.file.path for i in sdk.pfs.list_file(file=pfs.File(commit=commit, path="/"))]
    assert listed == ["/after", "/here"]


def test_a_stream_message_that_does_not_parse_is_invalid_argument(
    server: ServerProcess, sdk: Any, repo: pfs.Repo
) -> None:
    with grpc.insecure_channel(server.address) as channel:
        call = channel.stream_unary(
            "/pfs_v2.API/ModifyFile", request_serializer=None, response_deserializer=None
        )
        with pytest.raises(grpc.RpcError) as raised:
            call(iter([b"\x0a\xff\xff"]), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ModifyFileRequest" in raised.value.details()
    assert sdk.pfs.pfs_file(pfs.File.from_uri(f"{repo.name}@master:/here")).read() == b"here"


def test_a_damaged_object_ends_get_file_with_data_loss(
    server: ServerProcess, sdk: Any, name: Name
) -> None:
    repo = pfs.Repo(name=name("damaged"))
    sdk.pfs.create_repo(repo=repo)
    data = b"z" * (3 << 20)  # several messages: the damage is found after some were sent
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_bytes("/big", data)
    target = pfs.File.from_uri(f"{repo.name}@master:/big")
    digest = sdk.pfs.inspect_file(file=target).hash.hex()
    obj = server.root / "objects" / digest[:2] / digest[2:]
    damaged = bytearray(obj.read_bytes())
    damaged[-1] ^= 0xFF
    obj.chmod(0o644)
    obj.write_bytes(bytes(damaged))
    received = bytearray()
    with pytest.raises(grpc.RpcError) as raised:
        for chunk in sdk.pfs.get_file(file=target):
            received += chunk.value
    assert raised.value.code() == grpc.StatusCode.DATA_LOSS
    assert len(received) < len(data)
    assert sdk.pfs.inspect_file(file=target).size_bytes == len(data)  # still serving
