"""Files the SDK writes the CLI reads the same, and the other way round."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pachyderm_sdk.api import pfs

from tests.support.cli import Cli

Name = Callable[[str], str]


def test_files_the_sdk_writes_the_cli_reads(
    sdk: Any, server_cli: Cli, name: Name, tmp_path: Path
) -> None:
    repo = pfs.Repo(name=name("sdk-files"))
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as commit:
        commit.put_file_from_bytes("/greeting.txt", b"hello from the sdk\n")
        commit.put_file_from_bytes("/dir/data.bin", bytes(range(256)) * 64)
    assert server_cli("get", "file", f"{repo.name}@master:/greeting.txt").out == (
        "hello from the sdk\n"
    )
    out = tmp_path / "data.bin"
    server_cli("get", "file", f"{repo.name}@master:/dir/data.bin", "-o", str(out))
    assert out.read_bytes() == bytes(range(256)) * 64
    out_lines = server_cli("list", "file", f"{repo.name}@master:/", "--output", "json").out
    listed = [json.loads(line) for line in out_lines.splitlines()]  # one object a line
    sdk_listed = sdk.pfs.list_file(file=pfs.File.from_uri(f"{repo.name}@master:/"))
    assert [(f["path"], f["size_bytes"]) for f in listed] == [
        (i.file.path, i.size_bytes) for i in sdk_listed
    ]
    shown = json.loads(
        server_cli("inspect", "file", f"{repo.name}@master:/greeting.txt", "--output", "json").out
    )
    info = sdk.pfs.inspect_file(file=pfs.File.from_uri(f"{repo.name}@master:/greeting.txt"))
    assert bytes.fromhex(shown["hash"]) == info.hash
    assert shown["commit"] == commit.id


def test_files_the_cli_writes_the_sdk_reads(
    sdk: Any, server_cli: Cli, name: Name, tmp_path: Path
) -> None:
    repo_name = name("cli-files")
    server_cli("create", "repo", repo_name)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "one.txt").write_bytes(b"one\n")
    (tree / "sub" / "two.txt").write_bytes(b"two\n")
    server_cli("put", "file", "-r", f"{repo_name}@master:/tree", "-f", str(tree))
    server_cli("delete", "file", f"{repo_name}@master:/tree/one.txt")
    file = pfs.File.from_uri(f"{repo_name}@master:/tree/sub/two.txt")
    assert sdk.pfs.pfs_file(file).read() == b"two\n"
    with sdk.pfs.pfs_tar_file(pfs.File.from_uri(f"{repo_name}@master:/tree")) as tar:
        names = sorted(m.name for m in tar)
    assert names == ["tree", "tree/sub", "tree/sub/two.txt"]
    assert not sdk.pfs.path_exists(pfs.File.from_uri(f"{repo_name}@master:/tree/one.txt"))
