"""`pachlite edit metadata` as a user runs it, what `inspect` shows of it, and agreement with
the SDK on one data root: what one writes, the other reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Cli
from tests.support.grpc_server import ServerProcess, start_server


def shown(cli: Cli, noun: str, target: str) -> dict[str, str]:
    """The metadata `inspect NOUN TARGET -o json` shows."""
    found: dict[str, str] = json.loads(cli("inspect", noun, target, "-o", "json").out)["metadata"]
    return found


def text_line(cli: Cli, noun: str, target: str) -> str:
    lines = cli("inspect", noun, target).out.splitlines()
    return next(line for line in lines if line.startswith("Metadata: "))


@pytest.fixture
def images(cli: Cli) -> Cli:
    cli("create", "repo", "images")
    cli("put", "file", "images@master:/a.txt", stdin=b"a\n")
    return cli


def test_each_kind_and_operation_shows_in_inspect(images: Cli) -> None:
    cli = images
    done = cli("edit", "metadata", "repo", "images", "add", "owner=vision",
               "branch", "images@master", "edit", "stage=raw",
               "commit", "images@master", "replace", '{"checked": "yes", "by": "me"}')  # fmt: skip
    assert done.err == "ok\n"
    assert shown(cli, "repo", "images") == {"owner": "vision"}
    assert shown(cli, "branch", "images@master") == {"stage": "raw"}
    assert shown(cli, "commit", "images@master") == {"checked": "yes", "by": "me"}
    assert text_line(cli, "repo", "images") == "Metadata: owner=vision"
    assert text_line(cli, "commit", "images@master") == "Metadata: by=me; checked=yes"
    cli("edit", "metadata", "repo", "images", "edit", "owner=data",
        "repo", "images", "add", "team=ml", "commit", "images@master", "delete", "by")  # fmt: skip
    assert shown(cli, "repo", "images") == {"owner": "data", "team": "ml"}
    assert shown(cli, "commit", "images@master") == {"checked": "yes"}
    cli("edit", "metadata", "repo", "images", "replace", "a=1; b=; 'c d'=\"e\\tf\"")
    assert shown(cli, "repo", "images") == {"a": "1", "b": "", "c d": "e\tf"}
    cli("edit", "metadata", "REPO", "images", "Replace", "")
    assert shown(cli, "repo", "images") == {}
    assert text_line(cli, "repo", "images") == "Metadata: -"


def test_what_inspect_prints_can_be_given_back(images: Cli) -> None:
    cli = images
    pairs = {"a key": 'say "hi"', "it's": "x;y", "plain": "v"}
    cli("edit", "metadata", "repo", "images", "replace", json.dumps(pairs))
    printed = text_line(cli, "repo", "images").removeprefix("Metadata: ")
    cli("edit", "metadata", "repo", "images", "replace", "", "repo", "images", "replace", printed)
    assert shown(cli, "repo", "images") == pairs


def test_a_commit_picked_by_ancestry_or_id(images: Cli) -> None:
    cli = images
    first = json.loads(cli("inspect", "commit", "images@master", "-o", "json").out)["id"]
    cli("put", "file", "images@master:/b.txt", stdin=b"b\n")
    cli("edit", "metadata", "commit", "images@master^1", "add", "older=yes",
        "commit", f"images@{first}", "add", "first=yes")  # fmt: skip
    assert shown(cli, "commit", f"images@{first}") == {"first": "yes", "older": "yes"}
    assert shown(cli, "commit", "images@master") == {}


def test_one_bad_edit_changes_nothing(images: Cli) -> None:
    cli = images
    cli("edit", "metadata", "repo", "images", "add", "k=1")
    exists = cli("edit", "metadata", "branch", "images@master", "add", "b=1",
                 "repo", "images", "add", "k=2", check=False)  # fmt: skip
    assert exists.code == 4  # already exists
    assert exists.err.startswith("error: no metadata was changed: edit #1: repo images already has")
    assert len(exists.err.strip().splitlines()) == 1
    missing = cli("edit", "metadata", "repo", "images", "edit", "k=3",
                  "repo", "nope", "add", "x=1", check=False)  # fmt: skip
    assert missing.code == 3 and "repo 'nope' not found" in missing.err
    assert shown(cli, "repo", "images") == {"k": "1"}
    assert shown(cli, "branch", "images@master") == {}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("repo", "images", "add"), "multiples of 4"),
        (("repo", "images", "add", "no-equals"), "expected '='"),
        (("repo", "images", "add", "=v"), "expected a key"),
        (("repo", "images", "replace", "a=1;a=2"), "duplicate key 'a'"),
        (("repo", "images", "replace", '{"a": 1}'), "must be a JSON string"),
        (("repo", "images", "rename", "a=b"), "unknown operation 'rename'"),
        (("image", "images", "add", "a=b"), "unknown object type 'image'"),
        (("cluster", ".", "add", "a=b"), "keeps no cluster metadata"),
        (("repo", "images", "delete", ""), "key cannot be empty"),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(
    images: Cli, args: tuple[str, ...], says: str
) -> None:
    result = images("edit", "metadata", *args, check=False)
    assert result.code == 2, result.err
    assert says in result.err and len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = start_server(tmp_path_factory.mktemp("meta") / "store")
    try:
        yield running
    finally:
        assert running.stop() == 0


def test_what_the_sdk_writes_the_cli_shows_and_back(served: ServerProcess, tmp_path: Path) -> None:
    from pachyderm_sdk.api import metadata, pfs

    cli = Cli(root=served.root, cwd=tmp_path)
    sdk: Any = served.sdk()
    repo = pfs.Repo(name="shared")
    sdk.pfs.create_repo(repo=repo)
    branch = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=branch) as commit:
        pass
    sdk.metadata.edit_metadata(
        edits=[
            metadata.Edit(
                repo=repo.as_picker(), add_key=metadata.EditAddKey(key="from", value="sdk")
            ),
            metadata.Edit(
                commit=commit.as_picker(),
                replace=metadata.EditReplace(replacement={"a b": "c=d"}),
            ),
        ]
    )
    assert shown(cli, "repo", "shared") == {"from": "sdk"}
    assert shown(cli, "commit", f"shared@{commit.id}") == {"a b": "c=d"}
    assert text_line(cli, "commit", "shared@master") == "Metadata: 'a b'='c=d'"

    cli("edit", "metadata", "repo", "shared", "edit", "from=cli",
        "branch", "shared@master", "add", "stage=raw",
        "project", "default", "add", "p=1")  # fmt: skip
    assert sdk.pfs.inspect_repo(repo=repo).metadata == {"from": "cli"}
    assert sdk.pfs.inspect_branch(branch=branch).metadata == {"stage": "raw"}
    project = sdk.pfs.inspect_project(project=pfs.Project(name="default"))
    assert project.metadata == {"p": "1"}


def test_a_project_and_a_repo_in_it_show_their_own(cli: Cli) -> None:
    cli("create", "project", "vision")
    cli("create", "repo", "images", "--project", "vision")
    cli("edit", "metadata", "project", "vision", "add", "owner=ann",
        "repo", "vision/images", "add", "source=camera")  # fmt: skip
    assert shown(cli, "project", "vision") == {"owner": "ann"}
    assert text_line(cli, "project", "vision") == "Metadata: owner=ann"
    assert shown(cli, "repo", "vision/images") == {"source": "camera"}
    missing = cli("edit", "metadata", "project", "nowhere", "add", "a=b", check=False)
    assert missing.code == 3
    assert 'project "nowhere" not found' in missing.err
