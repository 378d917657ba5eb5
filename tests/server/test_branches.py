"""pfs_v2 branches through the real SDK: create (head, provenance), inspect, list, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import pfs

Name = Callable[[str], str]


def made_repo(sdk: Any, name: Name, base: str) -> pfs.Repo:
    repo = pfs.Repo(name=name(base))
    sdk.pfs.create_repo(repo=repo)
    return repo


def test_a_commit_makes_the_branch_and_moves_its_head(sdk: Any, name: Name) -> None:
    repo = made_repo(sdk, name, "data")
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as commit:
        pass
    info = sdk.pfs.inspect_branch(branch=master)
    assert (info.branch.repo.name, info.branch.name) == (repo.name, "master")
    assert info.head.id == commit.id
    assert [b.name for b in sdk.pfs.inspect_repo(repo=repo).branches] == ["master"]


def test_create_branch_at_a_head_and_list_and_delete(sdk: Any, name: Name) -> None:
    repo = made_repo(sdk, name, "data")
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as first:
        pass
    with sdk.pfs.commit(branch=master):
        pass
    staging = pfs.Branch(repo=repo, name="staging")
    sdk.pfs.create_branch(branch=staging, head=pfs.Commit(repo=repo, id=first.id))
    assert sdk.pfs.inspect_branch(branch=staging).head.id == first.id
    assert [b.branch.name for b in sdk.pfs.list_branch(repo=repo)] == ["master", "staging"]
    assert [b.branch.name for b in sdk.pfs.list_branch(repo=repo, reverse=True)] == [
        "staging",
        "master",
    ]
    sdk.pfs.delete_branch(branch=staging)
    assert not sdk.pfs.branch_exists(staging)
    assert sdk.pfs.branch_exists(master)


def test_a_head_named_by_branch_and_ancestry(sdk: Any, name: Name) -> None:
    repo = made_repo(sdk, name, "data")
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as first:
        pass
    with sdk.pfs.commit(branch=master):
        pass
    back = pfs.Branch(repo=repo, name="back")
    sdk.pfs.create_branch(branch=back, head=pfs.Commit.from_uri(f"{repo.name}@master^1"))
    assert sdk.pfs.inspect_branch(branch=back).head.id == first.id


def test_provenance_shows_on_both_ends(sdk: Any, name: Name) -> None:
    upstream = made_repo(sdk, name, "raw")
    downstream = made_repo(sdk, name, "clean")
    up = pfs.Branch(repo=upstream, name="master")
    with sdk.pfs.commit(branch=up):
        pass
    down = pfs.Branch(repo=downstream, name="master")
    sdk.pfs.create_branch(branch=down, provenance=[up])
    info = sdk.pfs.inspect_branch(branch=down)
    assert [(b.repo.name, b.name) for b in info.direct_provenance] == [(upstream.name, "master")]
    assert [(b.repo.name, b.name) for b in info.provenance] == [(upstream.name, "master")]
    subvenance = sdk.pfs.inspect_branch(branch=up).subvenance
    assert [(b.repo.name, b.name) for b in subvenance] == [(downstream.name, "master")]
    # The new provenance gave the downstream branch a commit that records its input.
    head = sdk.pfs.inspect_commit(commit=pfs.Commit(repo=downstream, id=info.head.id))
    assert head.origin.kind == pfs.OriginKind.AUTO
    assert [c.repo.name for c in head.direct_provenance] == [upstream.name]
    # No pipeline computes it, so a client may finish it (as pachd allows).
    sdk.pfs.finish_commit(commit=head.commit)
    assert sdk.pfs.inspect_commit(commit=head.commit).finished.timestamp() > 0


def test_a_missing_branch_is_not_found_in_pachyderms_words(sdk: Any, name: Name) -> None:
    repo = made_repo(sdk, name, "data")
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.inspect_branch(branch=pfs.Branch(repo=repo, name="nope"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == f'branch "nope" not found in repo default/{repo.name}'


def test_deleting_a_missing_branch_is_not_found(sdk: Any, name: Name) -> None:
    repo = made_repo(sdk, name, "data")
    with pytest.raises(grpc.RpcError) as raised:
        sdk.pfs.delete_branch(branch=pfs.Branch(repo=repo, name="nope"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == f'branch "nope" not found in repo default/{repo.name}'


def test_list_branch_of_a_missing_repo_is_not_found(sdk: Any, name: Name) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        list(sdk.pfs.list_branch(repo=pfs.Repo(name=name("nowhere"))))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
