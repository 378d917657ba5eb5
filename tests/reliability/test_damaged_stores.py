"""Damaged stores: a catalogue of real damage to `meta.sqlite` and to objects, each met by a
real `pachlite` command, which must answer with one line and its exit code (8: store
corrupt), no traceback, and without writing a byte: a damaged store is never "repaired" into
an empty one. Then recovery as the README tells it: `pachlite backup`, `pachlite restore`.

The cases are data in tests/support/damages.py, which bench/reliability.py counts for the
figures in docs/reliability.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.damages import DAMAGE, DAMAGES, FSCK, Damaged
from tests.support.repo import REPO_ROOT


def pachlite(
    root: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pachlite", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=root.parent,
        env={**os.environ, "PACHLITE_ROOT": str(root), "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )


def make_template(root: Path) -> None:
    for args, stdin in (
        (("create", "repo", "data"), None),
        (("put", "file", "data@master:/a.txt"), b"alpha"),
        (("put", "file", "data@master:/dir/b.txt"), b"beta" * 5000),
    ):
        assert pachlite(root, *args, stdin=stdin).returncode == 0
    with sqlite3.connect(root / "meta.sqlite") as db:  # enough rows for pages to matter
        db.executemany(
            "INSERT INTO commit_sets (id, created) VALUES (?, 0)",
            [(f"{i:032x}",) for i in range(3000)],
        )
    db.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded store, copied for each case (seeding takes three pachlite processes)."""
    root = tmp_path_factory.mktemp("damaged-template") / "store"
    make_template(root)
    return root


@pytest.fixture
def seeded(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(template, root, symlinks=True)
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_catalogue_covers_every_kind_of_damage() -> None:
    assert {c.damage for c in DAMAGES} == set(DAMAGE)
    assert len({c.id for c in DAMAGES}) == len(DAMAGES)


@pytest.mark.parametrize("case", DAMAGES, ids=lambda c: c.id)
def test_a_damaged_store_is_one_line_exit_8_and_nothing_is_written(
    case: Damaged, seeded: Path
) -> None:
    root = seeded
    DAMAGE[case.damage](root)
    before = files_of(root)
    result = pachlite(root, *case.args)
    assert result.returncode == case.code, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if case.args == FSCK:
        assert case.says in result.stdout, result.stdout
        assert result.stdout.strip().splitlines()[-1].startswith("checked ")
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert case.says in lines[0], lines[0]
    assert files_of(root) == before, "the command wrote to a damaged store"


@pytest.mark.parametrize("damage", ["garbage", "bad-page", "emptied", "deleted"])
def test_restore_brings_back_every_commit_of_the_backup(
    seeded: Path, tmp_path: Path, damage: str
) -> None:
    root = seeded
    backup = tmp_path / "meta-backup.sqlite"
    made = pachlite(root, "backup", str(backup))
    assert made.returncode == 0 and "backed up 1 repos and 2 commits" in made.stdout, made.stderr
    after_backup = pachlite(root, "put", "file", "data@master:/late.txt", stdin=b"late")
    assert after_backup.returncode == 0
    DAMAGE[damage](root)
    assert pachlite(root, "list", "repo").returncode == 8
    restored = pachlite(root, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "restored 1 repos and 2 commits" in restored.stdout
    assert pachlite(root, "get", "file", "data@master:/a.txt").stdout == "alpha"
    assert pachlite(root, "get", "file", "data@master:/dir/b.txt").stdout == "beta" * 5000
    assert pachlite(root, "get", "file", "data@master:/late.txt").returncode == 3  # after it
    fsck = pachlite(root, "fsck")
    assert fsck.returncode == 0 and "1 unreferenced objects" in fsck.stdout  # late.txt's bytes
    if damage in ("garbage", "bad-page", "emptied"):
        assert [p.name for p in root.glob("meta.sqlite.replaced-*")], "the damaged file was kept"


def test_restore_refuses_to_replace_healthy_metadata_without_force(
    seeded: Path, tmp_path: Path
) -> None:
    root = seeded
    backup = tmp_path / "b.sqlite"
    assert pachlite(root, "backup", str(backup)).returncode == 0
    assert pachlite(root, "put", "file", "data@master:/late.txt", stdin=b"late").returncode == 0
    refused = pachlite(root, "restore", str(backup))
    assert refused.returncode == 5 and "is healthy" in refused.stderr
    assert pachlite(root, "get", "file", "data@master:/late.txt").stdout == "late"
    forced = pachlite(root, "restore", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
    assert pachlite(root, "get", "file", "data@master:/late.txt").returncode == 3


def test_backup_is_consistent_while_another_process_writes(seeded: Path, tmp_path: Path) -> None:
    root = seeded
    writer = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys; from pachlite import Client\n"
            "with Client(sys.argv[1]) as c:\n"
            "    for i in range(200): c.put_file_bytes(f'data@master:/w{i}', b'w')\n"
        ), str(root)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    backups = []
    try:
        while writer.poll() is None and len(backups) < 5:
            backups.append(tmp_path / f"b{len(backups)}.sqlite")
            assert pachlite(root, "backup", str(backups[-1])).returncode == 0
    finally:
        assert writer.wait(timeout=120) == 0
    for backup in backups:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.close()


@pytest.mark.parametrize(
    ("content", "code", "says"),
    [
        (b"not a database at all, just text\n" * 200, 2, "is not a pachlite metadata backup"),
        (b"", 2, "is not a pachlite metadata backup"),
    ],
)
def test_restore_refuses_what_is_not_a_backup(
    seeded: Path, tmp_path: Path, content: bytes, code: int, says: str
) -> None:
    root = seeded
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(content)
    result = pachlite(root, "restore", str(bogus), "--force")
    assert result.returncode == code and says in result.stderr, result.stderr
    assert pachlite(root, "get", "file", "data@master:/a.txt").stdout == "alpha"
