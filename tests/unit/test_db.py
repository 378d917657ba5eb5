"""The SQLite wrapper on a real database file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pachlite.errors import StoreCorrupt, StoreNotWritable
from pachlite.pfs.db import Database
from pachlite.pfs.migrations import MIGRATIONS
from tests.support.repo import REPO_ROOT


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


# Each runs in its own process with its own connection, as two pachlite commands would.
HOLD_THE_WRITE_LOCK = """
import sys
from pachlite.pfs.db import Database
db = Database(sys.argv[1])
with db.atomic():
    db.execute("INSERT INTO repos (name, created) VALUES ('a', 0)")
    print("holding", flush=True)
    sys.stdin.readline()  # until the test says to commit
print("committed", flush=True)
"""
WRITE_AFTER_IT = """
import sys
from pachlite.pfs.db import Database
db = Database(sys.argv[1])
print("writing", flush=True)
with db.atomic():
    db.execute("INSERT INTO repos (name, created) VALUES ('b', 0)")
print("written", flush=True)
"""


def _python(script: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_a_second_connection_waits_for_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    Database(path).close()  # migrated: neither process below writes on opening
    with _python(HOLD_THE_WRITE_LOCK, path) as first:
        assert first.stdout is not None and first.stdin is not None
        assert first.stdout.readline() == "holding\n"
        with _python(WRITE_AFTER_IT, path) as second:
            assert second.stdout is not None and second.stderr is not None
            assert second.stdout.readline() == "writing\n"
            # While `first` holds the write lock, the second writer waits (it does not fail
            # with "database is locked"), and a reader still sees the last committed state.
            with pytest.raises(subprocess.TimeoutExpired):
                second.wait(timeout=1.5)
            reader = Database(path)
            assert reader.scalar("SELECT count(*) FROM repos") == 0
            first.stdin.write("\n")
            first.stdin.flush()
            assert first.wait(timeout=60) == 0
            assert first.stdout.read() == "committed\n"
            assert second.wait(timeout=60) == 0, second.stderr.read()
            assert second.stdout.read() == "written\n"
    assert reader.scalar("SELECT count(*) FROM repos") == 2
    assert [r[0] for r in reader.all("SELECT name FROM repos ORDER BY id")] == ["a", "b"]
    reader.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = Database(tmp_path / "f.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO branches (repo_id, name) VALUES (42, 'master')")
    db.close()


def test_opening_an_up_to_date_database_writes_nothing(tmp_path: Path) -> None:
    Database(tmp_path / "m.sqlite").close()
    path = tmp_path / "m.sqlite"
    path.chmod(0o444)  # a read-only file (root ignores the mode: read_only says it instead)
    db = Database(path, read_only=True)
    assert db.pending_migrations() == []
    assert db.scalar("SELECT count(*) FROM trees") == 1  # the empty tree, from its migration
    with pytest.raises(StoreNotWritable, match="read-only"):
        db.execute("INSERT INTO repos (name, created) VALUES ('x', 0)")
    db.close()


def test_a_database_that_needs_a_migration_is_refused_read_only(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied REAL)")
    old.commit()
    old.close()
    with pytest.raises(StoreNotWritable, match=f"needs {len(MIGRATIONS)} schema migration"):
        Database(path, read_only=True)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_is_store_corrupt(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "d.sqlite"
    db = Database(path)
    db.executemany(
        "INSERT INTO repos (name, created) VALUES (?, 0)", [(f"r{i}",) for i in range(2000)]
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    path.write_bytes(os.urandom(len(data)) if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(StoreCorrupt, match="is damaged"):
        Database(path).all("SELECT * FROM repos")
