"""The SQLite wrapper on a real database file."""

import sqlite3
from pathlib import Path

import pytest

from pachlite.pfs.db import Database
from pachlite.pfs.migrations import MIGRATIONS


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = Database(tmp_path / "m.sqlite")
    names = [r[0] for r in db.all("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    assert db.migrate() == []
    db.close()
    again = Database(tmp_path / "m.sqlite")
    assert again.migrate() == []
    assert again.scalar("PRAGMA journal_mode") == "wal"
    again.close()


def test_atomic_rolls_back_everything_on_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite")
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO repos (name, created) VALUES ('x', 0)")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM repos") == 0
    db.close()


def test_nested_atomic_rolls_back_only_the_inner_block(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.sqlite")
    with db.atomic():
        db.execute("INSERT INTO repos (name, created) VALUES ('outer', 0)")
        with pytest.raises(RuntimeError), db.atomic():
            db.execute("INSERT INTO repos (name, created) VALUES ('inner', 0)")
            raise RuntimeError("inner fails")
    assert [r[0] for r in db.all("SELECT name FROM repos")] == ["outer"]
    db.close()


def test_a_second_connection_waits_for_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    first, second = Database(path), Database(path)
    with first.atomic():
        first.execute("INSERT INTO repos (name, created) VALUES ('a', 0)")
        # While `first` holds the write lock, a reader still sees the last committed state.
        assert second.scalar("SELECT count(*) FROM repos") == 0
    with second.atomic():
        second.execute("INSERT INTO repos (name, created) VALUES ('b', 0)")
    assert first.scalar("SELECT count(*) FROM repos") == 2
    first.close()
    second.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = Database(tmp_path / "f.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO branches (repo_id, name) VALUES (42, 'master')")
    db.close()
