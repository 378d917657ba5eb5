"""pfs_v2 projects through the real SDK: `default` always there, create, inspect, list, delete,
and repos, branches, commits and files that live in a project (and agree with the CLI)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from pachyderm_sdk.api import pfs

from tests.support.cli import Cli
from tests.support.sdk_calls import rpc_error

Name = Callable[[str], str]


def made_project(sdk: Any, name: Name, base: str = "proj") -> pfs.Project:
    project = pfs.Project(name=name(base))
    sdk.pfs.create_project(project=project)
    return project


def test_default_is_always_there(sdk: Any) -> None:
    names = [p.project.name for p in sdk.pfs.list_project()]
    assert "default" in names
    info = sdk.pfs.inspect_project(project=pfs.Project(name="default"))
    assert info.project.name == "default"
    assert info.created_at.timestamp() > 0


def test_create_inspect_and_list_a_project(sdk: Any, name: Name) -> None:
    project = pfs.Project(name=name("vision"))
    before = time.time()
    sdk.pfs.create_project(project=project, description="pictures")
    info = sdk.pfs.inspect_project(project=project)
    assert (info.project.name, info.description) == (project.name, "pictures")
    assert before - 1 <= info.created_at.timestamp() <= time.time() + 1
    v2 = sdk.pfs.inspect_project_v2(project=project)
    assert v2.info.project.name == project.name
    assert project.name in [p.project.name for p in sdk.pfs.list_project()]
    assert sdk.pfs.project_exists(project)


def test_create_twice_is_already_exists_and_update_changes_it(sdk: Any, name: Name) -> None:
    project = made_project(sdk, name)
    error = rpc_error(lambda: sdk.pfs.create_project(project=project))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == f'project "{project.name}" already exists'
    sdk.pfs.create_project(project=project, description="second", update=True)
    assert sdk.pfs.inspect_project(project=project).description == "second"


def test_a_missing_project_is_not_found(sdk: Any, name: Name) -> None:
    missing = pfs.Project(name=name("nowhere"))
    expected = f'project "{missing.name}" not found'
    for call in (
        lambda: sdk.pfs.inspect_project(project=missing),
        lambda: sdk.pfs.delete_project(project=missing),
        lambda: sdk.pfs.create_repo(repo=pfs.Repo(name="r", project=missing)),
        lambda: sdk.pfs.inspect_repo(repo=pfs.Repo(name="r", project=missing)),
    ):
        error = rpc_error(call)
        assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, expected)
    assert not sdk.pfs.project_exists(missing)


def test_one_repo_name_in_two_projects_is_two_repos(sdk: Any, name: Name) -> None:
    project = made_project(sdk, name)
    repo_name = name("data")
    here = pfs.Repo(name=repo_name, project=project)
    there = pfs.Repo(name=repo_name)  # default
    for repo, text in ((here, b"in the project"), (there, b"in default")):
        sdk.pfs.create_repo(repo=repo)
        with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
            commit.put_file_from_bytes(path="/a.txt", data=text)
    for repo, text in ((here, b"in the project"), (there, b"in default")):
        file = pfs.File.from_uri(f"{repo.as_uri()}@master:/a.txt")
        assert sdk.pfs.pfs_file(file).read() == text
    info = sdk.pfs.inspect_repo(repo=here)
    assert (info.repo.name, info.repo.project.name) == (repo_name, project.name)
    listed = [(r.repo.project.name, r.repo.name) for r in sdk.pfs.list_repo(projects=[project])]
    assert listed == [(project.name, repo_name)]
    everywhere = {(r.repo.project.name, r.repo.name) for r in sdk.pfs.list_repo()}
    assert {(project.name, repo_name), ("default", repo_name)} <= everywhere


def test_branches_commits_and_files_carry_their_project(sdk: Any, name: Name) -> None:
    project = made_project(sdk, name)
    repo = pfs.Repo(name=name("images"), project=project)
    sdk.pfs.create_repo(repo=repo)
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as commit:
        commit.put_file_from_bytes(path="/x/1.png", data=b"png")
    branch = sdk.pfs.inspect_branch(branch=master)
    assert branch.branch.repo.project.name == project.name
    assert branch.head.id == commit.id
    head = sdk.pfs.inspect_commit(commit=pfs.Commit(repo=repo, id=commit.id))
    assert head.commit.repo.project.name == project.name
    commits = list(sdk.pfs.list_commit(repo=repo))
    assert [c.commit.id for c in commits] == [commit.id]
    files = list(sdk.pfs.list_file(file=pfs.File(commit=head.commit, path="/x")))
    assert [(f.file.path, f.file.commit.repo.project.name) for f in files] == [
        ("/x/1.png", project.name)
    ]
    error = rpc_error(lambda: sdk.pfs.inspect_repo(repo=pfs.Repo(name="gone", project=project)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"repo {project.name}/gone not found"


def test_delete_is_refused_while_the_project_holds_repos(sdk: Any, name: Name) -> None:
    project = made_project(sdk, name)
    repo = pfs.Repo(name=name("kept"), project=project)
    sdk.pfs.create_repo(repo=repo)
    error = rpc_error(lambda: sdk.pfs.delete_project(project=project))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == (
        f"cannot delete project {project.name}: repo {project.name}/{repo.name} still exists"
    )
    sdk.pfs.delete_repo(repo=repo)
    sdk.pfs.delete_project(project=project)
    assert project.name not in [p.project.name for p in sdk.pfs.list_project()]


def test_what_the_sdk_makes_in_a_project_the_cli_lists_and_back(
    sdk: Any, server_cli: Cli, name: Name, tmp_path: Path
) -> None:
    project = made_project(sdk, name)
    from_sdk = pfs.Repo(name=name("from-sdk"), project=project)
    sdk.pfs.create_repo(repo=from_sdk, description="over gRPC")
    out = server_cli("list", "repo", "--project", project.name, "--output", "json").out
    listed = [json.loads(line) for line in out.splitlines()]
    assert [(r["project"], r["description"]) for r in listed] == [(project.name, "over gRPC")]
    assert from_sdk.name not in server_cli("list", "repo").out  # default holds no such repo

    from_cli = name("from-cli")
    data = tmp_path / "hello.txt"
    data.write_bytes(b"hello\n")
    server_cli("create", "repo", from_cli, "--project", project.name)
    server_cli("put", "file", f"{project.name}/{from_cli}@master:/hello.txt", "-f", str(data))
    found = {r.repo.name for r in sdk.pfs.list_repo(projects=[project])}
    assert found == {from_sdk.name, from_cli}
    file = pfs.File.from_uri(f"{project.name}/{from_cli}@master:/hello.txt")
    assert sdk.pfs.pfs_file(file).read() == b"hello\n"
    projects = server_cli("list", "project").out
    assert project.name in projects


def test_diff_glob_and_provenance_across_projects(sdk: Any, name: Name) -> None:
    project = made_project(sdk, name)
    repo = pfs.Repo(name=name("src"), project=project)
    sdk.pfs.create_repo(repo=repo)
    master = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=master) as first:
        first.put_file_from_bytes(path="/a.txt", data=b"1")
    with sdk.pfs.commit(branch=master) as second:
        second.put_file_from_bytes(path="/b.txt", data=b"2")
    new = pfs.File(commit=pfs.Commit(repo=repo, id=second.id), path="/")
    diffs = list(sdk.pfs.diff_file(new_file=new))
    added = [d.new_file.file.path for d in diffs if d.new_file and not d.old_file]
    assert "/b.txt" in added
    assert all(d.new_file.file.commit.repo.project.name == project.name for d in diffs)
    globbed = list(sdk.pfs.glob_file(commit=pfs.Commit(repo=repo, id=second.id), pattern="/*"))
    assert [f.file.path for f in globbed] == ["/a.txt", "/b.txt"]
    # A branch in default whose provenance is a branch of the project.
    downstream = pfs.Repo(name=name("down"))
    sdk.pfs.create_repo(repo=downstream)
    sdk.pfs.create_branch(branch=pfs.Branch(repo=downstream, name="master"), provenance=[master])
    info = sdk.pfs.inspect_branch(branch=pfs.Branch(repo=downstream, name="master"))
    assert [(b.repo.project.name, b.repo.name) for b in info.direct_provenance] == [
        (project.name, repo.name)
    ]
