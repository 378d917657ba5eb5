"""Recursive puts (`put file -r`, `Client.put_file(recursive=True)`) store a tree byte for
byte, in one commit, with a store `fsck` finds clean, with and without PACHLITE_FSYNC=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.pfs.objects import SMALL_FILE
from tests.support.cli import Cli


def make_tree(root: Path) -> dict[str, bytes]:
    """Nested folders; empty, small, duplicate and streamed (over SMALL_FILE) files."""
    contents: dict[str, bytes] = {
        "empty": b"",
        "a/one.txt": b"one\n",
        "a/same.txt": b"one\n",  # the same content as a/one.txt: one object
        "a/b/c/deep.bin": os.urandom(3000),
        "big.bin": os.urandom(SMALL_FILE + 12345),
    }
    for i in range(150):
        contents[f"many/f{i:03d}.bin"] = os.urandom(i * 97)
    for rel, data in contents.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return contents


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("fsync", ["", "1"], ids=["default", "PACHLITE_FSYNC=1"])
def test_put_recursive_is_byte_identical_and_fsck_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: str
) -> None:
    monkeypatch.setenv("PACHLITE_FSYNC", fsync)
    src = tmp_path / "src"
    expected = make_tree(src)
    with Client(tmp_path / "store") as client:
        client.create_repo("r")
        info = client.put_file("r@master:/data", src, recursive=True)
        assert info.finished is not None  # one commit, made and finished by the put
        assert len(client.list_commit("r")) == 1
        client.get_file_to("r@master:/data", tmp_path / "out", recursive=True)
        report = client.fsck()
    assert read_tree(tmp_path / "out") == expected
    assert report.ok, report.problems
    assert report.unreferenced_objects == 0
    assert report.stale_temp_files == 0


@pytest.mark.parametrize("fsync", ["", "1"], ids=["default", "PACHLITE_FSYNC=1"])
def test_cli_put_recursive_is_byte_identical_and_fsck_clean(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: str
) -> None:
    monkeypatch.setenv("PACHLITE_FSYNC", fsync)
    src = tmp_path / "src"
    expected = make_tree(src)
    cli("create", "repo", "r")
    cli("put", "file", "-r", "r@master:/data", "-f", str(src))
    cli("get", "file", "-r", "r@master:/data", "-o", str(tmp_path / "out"))
    assert read_tree(tmp_path / "out") == expected
    fsck = cli("fsck")  # exits 8 on any problem
    assert "ok" in fsck.out and "problem" not in fsck.out
