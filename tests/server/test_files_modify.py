"""ModifyFile through the real SDK: puts overwrite unless they append, deletes, copies,
file:// URLs, `put_files`; one stream lands in one commit, whole or not at all."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]


def make_repo(sdk: Any, name: Name) -> pfs.Repo:
    repo = pfs.Repo(name=name("files"))
    sdk.pfs.create_repo(repo=repo)
    return repo


def master(repo: pfs.Repo) -> pfs.Branch:
    return pfs.Branch(repo=repo, name="master")


def read(sdk: Any, repo: pfs.Repo, path: str, ref: str = "master") -> bytes:
    file = pfs.File.from_uri(f"{repo.name}@{ref}:{path}")
    return bytes(sdk.pfs.pfs_file(file).read())


def paths(sdk: Any, repo: pfs.Repo) -> list[str]:
    root = pfs.File.from_uri(f"{repo.name}@master:/")
    return [info.file.path for info in sdk.pfs.walk_file(file=root)]


def test_a_put_overwrites_and_an_append_adds_to_the_end(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/a.txt", b"one")
        commit.put_file_from_bytes("/a.txt", b"two")
        commit.put_file_from_bytes("/b.txt", b"b")
        commit.put_file_from_bytes("/b.txt", b"+b", append=True)
    assert read(sdk, repo, "/a.txt") == b"two"
    assert read(sdk, repo, "/b.txt") == b"b+b"
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/b.txt", b"+c", append=True)
        commit.put_file_from_file(path="/a.txt", file=io.BytesIO(b"three"))
    assert read(sdk, repo, "/b.txt") == b"b+b+c"
    assert read(sdk, repo, "/a.txt") == b"three"


def test_a_file_larger_than_one_message_arrives_whole(sdk: Any, name: Name) -> None:
    # The SDK sends 19 MiB per message: this file is two of them, stored as one object.
    repo = make_repo(sdk, name)
    data = bytes(range(256)) * ((19 << 20) // 256) + b"tail"
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_file(path="/big.bin", file=io.BytesIO(data))
    info = sdk.pfs.inspect_file(file=pfs.File.from_uri(f"{repo.name}@master:/big.bin"))
    assert info.size_bytes == len(data)
    assert info.hash == hashlib.sha256(data).digest()
    assert read(sdk, repo, "/big.bin") == data


def test_deletes_of_files_directories_and_nothing(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    with sdk.pfs.commit(branch=master(repo)) as commit:
        for path in ("/keep", "/gone", "/dir/a", "/dir/sub/b"):
            commit.put_file_from_bytes(path, path.encode())
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.delete_file(path="/gone")
        commit.delete_file(path="/dir")  # a directory goes with what it holds
        commit.delete_file(path="/never-was")  # no error, as in pachd
    assert paths(sdk, repo) == ["/", "/keep"]


def test_copies_of_a_file_and_a_directory(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/src/a", b"a")
        commit.put_file_from_bytes("/src/d/b", b"b")
        commit.put_file_from_bytes("/dst", b"x")
    first = sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{repo.name}@master")).commit
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.copy_file(src=pfs.File(commit=first, path="/src"), dst="/copy")
        commit.copy_file(src=pfs.File(commit=first, path="/src/a"), dst="/dst", append=True)
        commit.copy_file(src=pfs.File(commit=first, path="/src/a"), dst="/single")
    assert read(sdk, repo, "/copy/d/b") == b"b"
    assert read(sdk, repo, "/dst") == b"xa"
    assert read(sdk, repo, "/single") == b"a"


def test_a_file_url_is_read_and_other_schemes_are_unimplemented(
    sdk: Any, name: Name, tmp_path: Path
) -> None:
    repo = make_repo(sdk, name)
    local = tmp_path / "local.txt"
    local.write_bytes(b"from disk")
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_url(path="/url.txt", url=local.as_uri())
        with pytest.raises(grpc.RpcError) as raised:
            commit.put_file_from_url(path="/web", url="s3://bucket/key")
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "file://" in raised.value.details()
    assert read(sdk, repo, "/url.txt") == b"from disk"
    assert paths(sdk, repo) == ["/", "/url.txt"]


def test_put_files_puts_a_directory_tree(sdk: Any, name: Name, tmp_path: Path) -> None:
    repo = make_repo(sdk, name)
    source = tmp_path / "tree"
    (source / "sub").mkdir(parents=True)
    (source / "top.txt").write_bytes(b"top")
    (source / "sub" / "low.txt").write_bytes(b"low")
    with sdk.pfs.commit(branch=master(repo)) as commit:
        sdk.pfs.put_files(commit=commit, source=source, path="/data")
    assert paths(sdk, repo) == ["/", "/data/", "/data/sub/", "/data/sub/low.txt", "/data/top.txt"]
    assert read(sdk, repo, "/data/sub/low.txt") == b"low"


def requests(commit: pfs.Commit, *ops: pfs.ModifyFileRequest) -> Iterator[pfs.ModifyFileRequest]:
    yield pfs.ModifyFileRequest(set_commit=commit)
    yield from ops


def add(path: str, data: bytes) -> pfs.ModifyFileRequest:
    return pfs.ModifyFileRequest(add_file=pfs.AddFile(path=path, raw=data))


def test_one_stream_lands_in_one_open_commit(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    commit = sdk.pfs.start_commit(branch=master(repo))
    sdk.pfs.modify_file(
        requests(
            commit,
            add("/a", b"1"),
            add("/b", b"2"),
            pfs.ModifyFileRequest(delete_file=pfs.DeleteFile(path="/a")),
            add("/c", b"3"),
        )
    )
    sdk.pfs.finish_commit(commit=commit)
    commits = list(sdk.pfs.list_commit(repo=repo))
    assert [c.commit.id for c in commits] == [commit.id]
    assert paths(sdk, repo) == ["/", "/b", "/c"]


def test_a_branch_whose_head_is_finished_gets_a_new_finished_commit(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/a", b"a")
    on_branch = pfs.Commit(branch=master(repo), repo=repo)
    sdk.pfs.modify_file(requests(on_branch, add("/b", b"b")))
    history = list(sdk.pfs.list_commit(repo=repo))
    assert len(history) == 2
    assert history[0].finished.timestamp() > 0
    assert paths(sdk, repo) == ["/", "/a", "/b"]


def test_an_error_mid_stream_leaves_nothing_written(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    commit = sdk.pfs.start_commit(branch=master(repo))
    missing = pfs.File(commit=commit, path="/no-such-file")
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.modify_file(
            requests(
                commit,
                add("/a", b"written first"),
                pfs.ModifyFileRequest(copy_file=pfs.CopyFile(src=missing, dst="/b")),
                add("/c", b"after"),
            )
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == (
        f"file /no-such-file not found in repo default/{repo.name} at commit {commit.id}"
    )
    sdk.pfs.finish_commit(commit=commit)
    assert paths(sdk, repo) == ["/"]


def test_a_client_that_breaks_off_its_stream_leaves_nothing_written(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    commit = sdk.pfs.start_commit(branch=master(repo))

    def broken(k: int) -> Iterator[pfs.ModifyFileRequest]:
        yield from requests(commit, add(f"/a{k}", b"half"))
        raise RuntimeError("the client gave up")

    # Many times over: grpcio's server sees such a stream end cleanly and its cancellation a
    # moment later, so a server that applies at the end of the stream fails here most runs.
    for k in range(40):
        with pytest.raises((grpc.RpcError, RuntimeError)):
            sdk.pfs.modify_file(broken(k))
    sdk.pfs.finish_commit(commit=commit)
    assert paths(sdk, repo) == ["/"]


def test_clients_writing_at_once_into_one_commit_lose_nothing(
    server: Any, sdk: Any, name: Name
) -> None:
    repo = make_repo(sdk, name)
    commit = sdk.pfs.start_commit(branch=master(repo))

    def write(k: int) -> None:
        client = server.sdk()  # a client (a channel) per thread, as separate programs have
        for i in range(25):
            client.pfs.put_file_from_bytes(commit=commit, path=f"/w{k}/f{i}", data=b"%d" % i)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    sdk.pfs.finish_commit(commit=commit)
    files = [p for p in paths(sdk, repo) if not p.endswith("/")]
    assert len(files) == 100
    assert read(sdk, repo, "/w3/f24") == b"24"


def test_a_put_onto_a_directory_replaces_it(sdk: Any, name: Name) -> None:
    repo = make_repo(sdk, name)
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/d/inner", b"inner")
    with sdk.pfs.commit(branch=master(repo)) as commit:
        commit.put_file_from_bytes("/d", b"now a file")
    assert paths(sdk, repo) == ["/", "/d"]
    assert read(sdk, repo, "/d") == b"now a file"
