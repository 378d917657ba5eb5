"""pfs_v2 FindCommits through the real SDK: the commits that changed a path, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]


def test_find_commits_names_each_commit_that_changed_the_path(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("data"))
    sdk.pfs.create_repo(repo=repo)
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as added:
        added.put_file_from_bytes(path="/a.txt", data=b"1")
    with sdk.pfs.commit(branch=master) as other:
        other.put_file_from_bytes(path="/b.txt", data=b"2")
    with sdk.pfs.commit(branch=master) as changed:
        changed.put_file_from_bytes(path="/a.txt", data=b"3")
    with sdk.pfs.commit(branch=master) as deleted:
        deleted.delete_file(path="/a.txt")
    start = pfs.Commit.from_uri(f"{repo.name}@master")
    answers = list(sdk.pfs.find_commits(start=start, file_path="/a.txt"))
    assert [a.found_commit.id for a in answers[:-1]] == [deleted.id, changed.id, added.id]
    assert (answers[-1].last_searched_commit.id, answers[-1].commits_searched) == (added.id, 4)
    assert other.id not in {a.found_commit.id for a in answers}
    first = list(sdk.pfs.find_commits(start=start, file_path="a.txt", limit=1))
    assert [a.found_commit.id for a in first[:-1]] == [deleted.id]
    assert (first[-1].last_searched_commit.id, first[-1].commits_searched) == (deleted.id, 1)


def test_find_commits_from_an_open_commit_is_unavailable(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("data"))
    sdk.pfs.create_repo(repo=repo)
    sdk.pfs.start_commit(branch=pfs.Branch(repo=repo, name="master"))
    start = pfs.Commit.from_uri(f"{repo.name}@master")
    with pytest.raises(grpc.RpcError) as raised:
        list(sdk.pfs.find_commits(start=start, file_path="/a.txt"))
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.details() == f"commit default/{repo.name}@master not finished"
