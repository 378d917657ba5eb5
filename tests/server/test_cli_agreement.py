"""The SDK and the CLI on one data root see the same repos, branches and commits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pachyderm_sdk.api import pfs

from tests.support.cli import Cli

Name = Callable[[str], str]


def test_a_repo_and_commit_made_by_the_sdk_are_what_the_cli_shows(
    sdk: Any, server_cli: Cli, name: Name
) -> None:
    repo = pfs.Repo(name=name("from-sdk"))
    sdk.pfs.create_repo(repo=repo, description="made over gRPC")
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master"), description="c1") as commit:
        pass
    listed = server_cli("list", "repo").out
    assert repo.name in listed
    shown = json.loads(server_cli("inspect", "repo", repo.name, "--output", "json").out)
    assert shown["description"] == "made over gRPC"
    assert shown["branches"] == ["master"]
    info = json.loads(
        server_cli("inspect", "commit", f"{repo.name}@master", "--output", "json").out
    )
    assert info["id"] == commit.id
    assert info["description"] == "c1"


def test_what_the_cli_writes_the_sdk_reads(
    sdk: Any, server_cli: Cli, name: Name, tmp_path: Path
) -> None:
    repo_name = name("from-cli")
    server_cli("create", "repo", repo_name)
    data = tmp_path / "hello.txt"
    data.write_bytes(b"hello, world\n")
    server_cli("put", "file", f"{repo_name}@master:/hello.txt", "-f", str(data))
    repo = pfs.Repo(name=repo_name)
    assert repo_name in {r.repo.name for r in sdk.pfs.list_repo()}
    info = sdk.pfs.inspect_repo(repo=repo)
    assert [b.name for b in info.branches] == ["master"]
    assert info.size_bytes_upper_bound == len(b"hello, world\n")
    head = sdk.pfs.inspect_commit(commit=pfs.Commit.from_uri(f"{repo_name}@master"))
    assert head.size_bytes_upper_bound == len(b"hello, world\n")
    assert head.finished.timestamp() > 0
    cli_head = json.loads(
        server_cli("inspect", "commit", f"{repo_name}@master", "--output", "json").out
    )
    assert cli_head["id"] == head.commit.id
