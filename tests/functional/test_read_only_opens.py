"""Opening a store and reading it never waits for a writer: no read takes the write lock.

A second, real SQLite connection holds a write transaction (BEGIN IMMEDIATE, a row written and
not committed) for the whole test. Had opening the store migrated, inserted a row or begun an
immediate transaction, each read below would queue behind it until the busy timeout.
"""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.pfs import db
from pachlite.pfs.store import META


@contextmanager
def writer_holding_the_lock(root: Path) -> Iterator[sqlite3.Connection]:
    """A connection in the middle of a write transaction: a repo inserted, not committed."""
    conn = sqlite3.connect(root / META, isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO repos (name, created) VALUES ('uncommitted', 0)")
        yield conn
    finally:
        conn.close()


def seed(root: Path) -> None:
    with Client(root) as client:
        client.create_repo("r")
        client.put_file_bytes("r@master:/a", b"hello")


def test_reads_from_python_do_not_wait_for_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    seed(root)
    # A read that wanted the lock would now fail within a second instead of waiting 120 s.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 1.0)
    with writer_holding_the_lock(root) as writer, Client(root) as client:
        assert [r.name for r in client.list_repo()] == ["r"]  # the committed state only
        assert client.get_file("r@master:/a") == b"hello"
        assert client.inspect_commit("r@master").finished is not None
        assert len(client.list_commit("r")) == 1
        assert [b.name for b in client.list_branch("r")] == ["master"]
        assert client.fsck().ok
        writer.execute("COMMIT")  # the writer was not disturbed either
        assert sorted(r.name for r in client.list_repo()) == ["r", "uncommitted"]


def pachlite(root: Path, *args: str) -> str:
    """The CLI as a user runs it; a command stuck on the lock fails the test in 30 s."""
    env = {**os.environ, "PACHLITE_ROOT": str(root)}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pachlite", *args], capture_output=True, env=env, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"pachlite {' '.join(args)} waited for the writer's lock")
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_read_only_commands_run_while_another_process_writes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    seed(root)
    reads = [
        (["list", "repo"], "r"),
        (["list", "commit", "r@master"], "r"),
        (["inspect", "commit", "r@master"], "r"),
        (["get", "file", "r@master:/a"], "hello"),
        (["list", "file", "r@master:/"], "/a"),
        (["fsck"], ""),
    ]
    with writer_holding_the_lock(root) as writer:
        for args, shown in reads:
            out = pachlite(root, *args)
            assert shown in out
            assert "uncommitted" not in out
        writer.execute("COMMIT")
    assert "uncommitted" in pachlite(root, "list", "repo")


def test_job_and_pipeline_reads_do_not_wait_for_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    seed(root)
    with Client(root) as client:
        client.create_pipeline(
            {
                "pipeline": {"name": "copy"},
                "input": {"pfs": {"repo": "r", "glob": "/*"}},
                "transform": {"cmd": ["sh", "-c", "cp -r /pfs/r/. /pfs/out/"]},
            }
        )
        client.run_pending()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 1.0)
    with writer_holding_the_lock(root), Client(root) as client:
        [job] = client.list_job(pipeline="copy")
        assert client.inspect_job(f"copy@{job.id}").state == job.state
        assert [p.name for p in client.list_pipeline()] == ["copy"]
        assert len(client.list_datum(f"copy@{job.id}")) == 1
