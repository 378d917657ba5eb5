"""pfs_v2 repos through the real SDK: create (and update), inspect, list, delete."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
from pachyderm_sdk.api import pfs

from tests.support.sdk_calls import rpc_error

Name = Callable[[str], str]


def test_create_then_inspect_fills_pachds_fields(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("images"))
    before = time.time()
    sdk.pfs.create_repo(repo=repo, description="raw pictures")
    info = sdk.pfs.inspect_repo(repo=repo)
    assert (info.repo.name, info.repo.type) == (repo.name, "user")
    assert info.repo.project.name == "default"
    assert info.description == "raw pictures"
    assert before - 1 <= info.created.timestamp() <= time.time() + 1
    assert info.size_bytes_upper_bound == 0
    assert info.details.size_bytes == 0
    assert list(info.branches) == []


def test_create_twice_is_already_exists_and_update_changes_the_description(
    sdk: Any, name: Name
) -> None:
    repo = pfs.Repo(name=name("labels"))
    sdk.pfs.create_repo(repo=repo)
    error = rpc_error(lambda: sdk.pfs.create_repo(repo=repo))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == f"repo default/{repo.name} already exists"
    sdk.pfs.create_repo(repo=repo, description="new words", update=True)
    assert sdk.pfs.inspect_repo(repo=repo).description == "new words"


def test_update_creates_a_missing_repo(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("fresh"))
    sdk.pfs.create_repo(repo=repo, update=True)
    assert sdk.pfs.repo_exists(repo)


def test_a_missing_repo_is_not_found_in_pachyderms_words(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("nowhere"))
    error = rpc_error(lambda: sdk.pfs.inspect_repo(repo=repo))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"repo default/{repo.name} not found"
    assert not sdk.pfs.repo_exists(repo)


def test_list_repo_streams_every_repo_with_its_fields(sdk: Any, name: Name) -> None:
    made = [name("a"), name("b")]
    for repo_name in made:
        sdk.pfs.create_repo(repo=pfs.Repo(name=repo_name), description=repo_name)
    listed = {info.repo.name: info for info in sdk.pfs.list_repo()}
    assert set(made) <= set(listed)
    assert listed[made[0]].description == made[0]
    assert {i.repo.name for i in sdk.pfs.list_repo(type="user")} >= set(made)
    assert list(sdk.pfs.list_repo(type="spec")) == []
    elsewhere = [pfs.Project(name="elsewhere")]
    assert list(sdk.pfs.list_repo(projects=elsewhere)) == []
    here = [pfs.Project(name="default")]
    assert {i.repo.name for i in sdk.pfs.list_repo(projects=here)} >= set(made)


def test_delete_repo_says_whether_it_deleted(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("gone"))
    sdk.pfs.create_repo(repo=repo)
    assert sdk.pfs.delete_repo(repo=repo).deleted
    assert not sdk.pfs.repo_exists(repo)
    assert not sdk.pfs.delete_repo(repo=repo).deleted


def test_another_project_is_not_found(sdk: Any, name: Name) -> None:
    repo = pfs.Repo(name=name("x"), project=pfs.Project(name="research"))
    error = rpc_error(lambda: sdk.pfs.create_repo(repo=repo))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == 'project "research" not found'


def test_delete_repos_deletes_one_projects_repos_and_says_which(sdk: Any, name: Name) -> None:
    doomed = pfs.Project(name=name("doomed"))
    kept = pfs.Project(name=name("kept"))
    for project in (doomed, kept):
        sdk.pfs.create_project(project=project)
    upstream = pfs.Repo(name="raw", project=doomed)
    for repo in (
        upstream,
        pfs.Repo(name="clean", project=doomed),
        pfs.Repo(name="raw", project=kept),
    ):
        sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=upstream, name="master")) as commit:
        commit.put_file_from_bytes("/a", b"a")

    assert list(sdk.pfs.delete_repos(projects=[]).repos) == []  # neither projects nor all
    deleted = sdk.pfs.delete_repos(projects=[doomed])
    assert sorted(r.name for r in deleted.repos) == ["clean", "raw"]
    assert {r.project.name for r in deleted.repos} == {doomed.name}
    assert list(sdk.pfs.list_repo(projects=[doomed])) == []
    assert [r.repo.name for r in sdk.pfs.list_repo(projects=[kept])] == ["raw"]
