"""Creating and removing deep local trees without recursion."""

import os
from pathlib import Path

import pytest

from pachlite.pfs.localfs import makedirs, remove_tree


def test_makedirs_and_remove_tree_handle_thousands_of_levels(tmp_path: Path) -> None:
    deep = tmp_path / "top" / "/".join(["d"] * 1500)
    makedirs(deep)
    (deep / "f").write_text("x")
    makedirs(deep)  # already there: nothing to do
    remove_tree(tmp_path / "top")
    assert not (tmp_path / "top").exists()


def test_remove_tree_never_follows_symlinks(tmp_path: Path) -> None:
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    doomed = tmp_path / "doomed" / "sub"
    doomed.mkdir(parents=True)
    (doomed / "link").symlink_to(keep)
    (tmp_path / "doomed" / "file-link").symlink_to(keep / "precious")
    remove_tree(tmp_path / "doomed")
    assert not (tmp_path / "doomed").exists()
    assert (keep / "precious").read_text() == "x"


def test_makedirs_says_not_a_directory_when_a_file_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        makedirs(tmp_path / "file" / "sub")
    makedirs(os.path.relpath(tmp_path / "rel", Path.cwd()))
    assert (tmp_path / "rel").is_dir()
