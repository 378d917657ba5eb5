"""pfs_v2 commit sets through the real SDK: inspect (with wait), list, squash, drop; and the
CLI sees what a squash or drop through the SDK did."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
from pachyderm_sdk.api import pfs

from tests.support.cli import Cli
from tests.support.sdk_calls import master_of, rpc_error

Name = Callable[[str], str]


def commit_with(sdk: Any, branch: pfs.Branch, path: str, data: bytes) -> pfs.Commit:
    with sdk.pfs.commit(branch=branch) as commit:
        commit.put_file_from_bytes(path=path, data=data)
    return commit


def ids(infos: Any) -> list[str]:
    return [info.commit.id for info in infos]


def read(sdk: Any, commit: pfs.Commit, path: str) -> bytes:
    return bytes(sdk.pfs.pfs_file(file=pfs.File(commit=commit, path=path)).read())


def test_a_squashed_set_is_gone_and_its_child_keeps_everything(
    sdk: Any, server_cli: Cli, name: Name
) -> None:
    master = master_of(sdk, name)
    first = commit_with(sdk, master, "/a.txt", b"a")
    second = commit_with(sdk, master, "/b.txt", b"b")
    sdk.pfs.squash_commit_set(commit_set=pfs.CommitSet(id=first.id))
    assert ids(sdk.pfs.list_commit(repo=master.repo)) == [second.id]
    assert not sdk.pfs.commit_exists(first)
    assert sdk.pfs.inspect_commit(commit=second).parent_commit.id == ""
    assert (read(sdk, second, "/a.txt"), read(sdk, second, "/b.txt")) == (b"a", b"b")
    listed = server_cli("list", "commit", master.repo.name, "--output", "json").out
    assert [json.loads(line)["id"] for line in listed.splitlines()] == [second.id]


def test_a_dropped_head_moves_the_branch_back(sdk: Any, server_cli: Cli, name: Name) -> None:
    master = master_of(sdk, name)
    first = commit_with(sdk, master, "/a.txt", b"a")
    second = commit_with(sdk, master, "/a.txt", b"changed")
    sdk.pfs.drop_commit_set(commit_set=pfs.CommitSet(id=second.id))
    assert sdk.pfs.commit_exists(first)
    assert not sdk.pfs.commit_exists(second)
    assert sdk.pfs.inspect_branch(branch=master).head.id == first.id
    assert read(sdk, pfs.Commit(repo=master.repo, id=first.id), "/a.txt") == b"a"
    shown = server_cli("inspect", "commit", f"{master.repo.name}@master", "--output", "json")
    assert json.loads(shown.out)["id"] == first.id


def test_what_the_cli_squashes_the_sdk_no_longer_lists(
    sdk: Any, server_cli: Cli, name: Name
) -> None:
    master = master_of(sdk, name)
    first = commit_with(sdk, master, "/a.txt", b"a")
    second = commit_with(sdk, master, "/b.txt", b"b")
    server_cli("squash", "commit", f"{master.repo.name}@{first.id}")
    assert ids(sdk.pfs.list_commit(repo=master.repo)) == [second.id]
    sets = {info.commit_set.id for info in sdk.pfs.list_commit_set()}
    assert second.id in sets
    assert first.id not in sets


def test_squash_and_drop_are_refused_in_pachds_words(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    first = commit_with(sdk, master, "/a.txt", b"a")
    head = commit_with(sdk, master, "/b.txt", b"b")
    shown = f"default/{master.repo.name}"
    error = rpc_error(lambda: sdk.pfs.squash_commit_set(commit_set=pfs.CommitSet(id=head.id)))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == (
        "cannot squash a commit that has no children as that would cause data loss, "
        f"use the drop operation instead: {shown}@{head.id}"
    )
    error = rpc_error(lambda: sdk.pfs.drop_commit_set(commit_set=pfs.CommitSet(id=first.id)))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == f"cannot drop a commit that has children: {shown}@{first.id}"
    assert ids(sdk.pfs.list_commit(repo=master.repo)) == [head.id, first.id]  # nothing went


def test_a_set_others_were_made_from_is_neither_squashed_nor_dropped(sdk: Any, name: Name) -> None:
    left, right = master_of(sdk, name), master_of(sdk, name)
    used = commit_with(sdk, left, "/l.txt", b"l")
    commit_with(sdk, right, "/r.txt", b"r")
    joined = master_of(sdk, name)
    sdk.pfs.create_branch(branch=joined, provenance=[left, right])
    later = commit_with(sdk, right, "/r.txt", b"r2")  # its set's joined commit uses `used`
    assert sdk.pfs.inspect_branch(branch=joined).head.id == later.id
    for verb in (sdk.pfs.squash_commit_set, sdk.pfs.drop_commit_set):
        error = rpc_error(lambda verb=verb: verb(commit_set=pfs.CommitSet(id=used.id)))
        assert error.code() == grpc.StatusCode.UNKNOWN
        assert error.details().startswith(f'commit set "id:\\"{used.id}\\"" cannot be dropped')
        assert f'id:"{later.id}"' in error.details()
    assert sdk.pfs.commit_exists(used)


def test_an_unknown_set_squashes_and_drops_as_nothing_but_is_not_found_to_inspect(
    sdk: Any,
) -> None:
    missing = pfs.CommitSet(id="0" * 32)
    sdk.pfs.squash_commit_set(commit_set=missing)
    sdk.pfs.drop_commit_set(commit_set=missing)
    error = rpc_error(lambda: list(sdk.pfs.inspect_commit_set(commit_set=missing)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"no commits found for commitset {'0' * 32}"
    error = rpc_error(lambda: sdk.pfs.drop_commit_set())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_inspect_commit_set_lists_what_the_set_was_made_from_first(sdk: Any, name: Name) -> None:
    left, right = master_of(sdk, name), master_of(sdk, name)
    base = commit_with(sdk, left, "/l.txt", b"l")
    commit_with(sdk, right, "/r.txt", b"r")
    joined = master_of(sdk, name)
    sdk.pfs.create_branch(branch=joined, provenance=[left, right])
    change = commit_with(sdk, right, "/r.txt", b"r2")
    infos = list(sdk.pfs.inspect_commit_set(commit_set=pfs.CommitSet(id=change.id)))
    shown = [(info.commit.repo.name, info.commit.id) for info in infos]
    assert shown[-1] == (joined.repo.name, change.id)
    assert set(shown[:-1]) == {(left.repo.name, base.id), (right.repo.name, change.id)}
    assert infos[-1].origin.kind == pfs.OriginKind.AUTO
    listed = {info.commit_set.id: info for info in sdk.pfs.list_commit_set()}
    assert ids(listed[change.id].commits) == ids(infos)
    newest_first = [s for s in listed if s in {base.id, change.id}]
    assert newest_first == [change.id, base.id]


def test_wait_all_returns_once_every_commit_of_the_set_is_finished(
    sdk: Any, server: Any, name: Name
) -> None:
    master = master_of(sdk, name)
    commit = sdk.pfs.start_commit(branch=master)
    other = server.sdk()  # a second client finishes it while the first one waits
    finisher = threading.Timer(0.5, lambda: other.pfs.finish_commit(commit=commit))
    finisher.start()
    try:
        started = time.monotonic()
        infos = sdk.pfs.wait_commit_set(pfs.CommitSet(id=commit.id))
        waited = time.monotonic() - started
    finally:
        finisher.join()
    assert ids(infos) == [commit.id]
    assert infos[0].finished.timestamp() > 0
    assert waited >= 0.3
    now = list(sdk.pfs.inspect_commit_set(commit_set=pfs.CommitSet(id=commit.id)))
    assert ids(now) == [commit.id]


def test_clear_commit_undoes_what_an_open_commit_changed(sdk: Any, name: Name) -> None:
    master = master_of(sdk, name)
    commit_with(sdk, master, "/kept.txt", b"kept")
    commit = sdk.pfs.start_commit(branch=master)
    sdk.pfs.put_file_from_bytes(commit=commit, path="/new.txt", data=b"new")
    sdk.pfs.clear_commit(commit=commit)
    sdk.pfs.finish_commit(commit=commit)
    listed = sdk.pfs.list_file(file=pfs.File(commit=commit, path="/"))
    assert [info.file.path for info in listed] == ["/kept.txt"]
    error = rpc_error(lambda: sdk.pfs.clear_commit(commit=commit))
    assert (error.code(), error.details()) == (
        grpc.StatusCode.UNKNOWN,
        "cannot clear finished commit",
    )


def test_squash_and_drop_one_commit_and_with_recursive_what_was_made_from_it(
    sdk: Any, server_cli: Cli, name: Name
) -> None:
    upstream = master_of(sdk, name)
    first = commit_with(sdk, upstream, "/a.txt", b"a")
    downstream = master_of(sdk, name)
    sdk.pfs.create_branch(branch=downstream, provenance=[upstream])
    second = commit_with(sdk, upstream, "/b.txt", b"b")
    third = commit_with(sdk, upstream, "/c.txt", b"c")
    named = pfs.Commit(repo=upstream.repo, id=second.id)
    error = rpc_error(lambda: sdk.pfs.squash_commit(commit=named))
    assert error.details() == (
        f"cannot squash commit (default/{upstream.repo.name}@{second.id}) "
        "with subvenance without recursive"
    )
    head = pfs.Commit(repo=upstream.repo, id=third.id)
    error = rpc_error(lambda: sdk.pfs.drop_commit(commit=head))
    assert "with subvenance without recursive" in error.details()
    sdk.pfs.drop_commit(commit=head, recursive=True)
    assert ids(sdk.pfs.list_commit(repo=upstream.repo)) == [second.id, first.id]
    listed = server_cli("list", "commit", downstream.repo.name, "--output", "json").out
    assert third.id not in listed
    assert sdk.pfs.inspect_branch(branch=downstream).head.id == second.id
    error = rpc_error(lambda: sdk.pfs.squash_commit(commit=named, recursive=True))
    assert error.details().startswith("cannot squash a commit that has no children")
    alone = master_of(sdk, name)
    old = commit_with(sdk, alone, "/x.txt", b"x")
    new = commit_with(sdk, alone, "/y.txt", b"y")
    sdk.pfs.squash_commit(commit=pfs.Commit(repo=alone.repo, id=old.id))
    assert ids(sdk.pfs.list_commit(repo=alone.repo)) == [new.id]
    assert read(sdk, new, "/x.txt") == b"x"
