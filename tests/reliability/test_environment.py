"""Stores the machine gets in the way of: read-only, full, or impossible to create.

Real file systems (tests/support/mounts.py): a read-only bind mount, a small tmpfs that
fills up and is then grown, `/dev/null` as a parent directory. Every failure is one line on
stderr with its documented exit code (10: the store cannot be written, 11: no space left),
nothing half-written is left, and the store works again once the machine lets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mounts import grow, obeying_modes, read_only_view, tmpfs
from tests.support.repo import REPO_ROOT
from tests.support.store_snapshot import snapshot
from tests.support.store_verbs import READS, SPEC, WRITES


def pachlite(
    root: Path, *args: str, cwd: Path, stdin: bytes | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pachlite", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PACHLITE_ROOT": str(root), "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert says in lines[0], lines[0]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A store with a repo, two commits, a pipeline, its job and its logs."""
    source = tmp_path / "source"
    root = source / "store"
    (tmp_path / "spec.yaml").write_text(SPEC)
    for args, stdin in (
        (("create", "repo", "data"), None),
        (("put", "file", "data@master:/a.txt"), b"alpha"),
        (("update", "pipeline", "-f", "spec.yaml"), None),
        (("put", "file", "data@master:/b.txt"), b"beta"),
    ):
        assert pachlite(root, *args, cwd=tmp_path, stdin=stdin).returncode == 0
    return root


@pytest.mark.parametrize("by", ["mount", "modes"], ids=["read-only bind mount", "file modes"])
def test_a_read_only_store_serves_every_read_and_refuses_every_write(
    seeded: Path, tmp_path: Path, by: str
) -> None:
    before = snapshot(seeded)
    with read_only_view(seeded.parent, tmp_path / "ro", by) as (view, prefix):
        root = view / "store"
        names = sorted(p.name for p in root.iterdir())
        for args, shows in READS:
            result = pachlite(root, *args, cwd=tmp_path, prefix=prefix)
            assert result.returncode == 0, (args, result.stderr)
            assert shows in result.stdout, (args, result.stdout)
        job = json.loads(
            pachlite(
                root, "list", "job", "-p", "upper", "-o", "json", cwd=tmp_path, prefix=prefix
            ).stdout.splitlines()[0]
        )
        for args in (
            ("inspect", "job", f"upper@{job['id']}"),
            ("list", "datum", f"upper@{job['id']}"),
        ):
            assert pachlite(root, *args, cwd=tmp_path, prefix=prefix).returncode == 0, args
        copy = tmp_path / "copy"
        assert (
            pachlite(
                root,
                "get",
                "file",
                "-r",
                "data@master:/",
                "-o",
                str(copy),
                cwd=tmp_path,
                prefix=prefix,
            ).returncode
            == 0
        )
        assert (copy / "b.txt").read_text() == "beta"
        assert (
            pachlite(
                root, "backup", str(tmp_path / "backup.db"), cwd=tmp_path, prefix=prefix
            ).returncode
            == 0
        )
        for args, stdin in WRITES:
            result = pachlite(root, *args, cwd=tmp_path, stdin=stdin, prefix=prefix)
            one_line_error(result, 10, "read-only")
        assert sorted(p.name for p in root.iterdir()) == names  # not even a -wal or -shm
    assert snapshot(seeded) == before


def test_a_root_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    one_line_error(
        pachlite(Path("/dev/null/store"), "list", "repo", cwd=tmp_path), 10, "Not a directory"
    )
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = pachlite(locked / "store", "list", "repo", cwd=tmp_path, prefix=obeying_modes())
    one_line_error(result, 10, "cannot create the store")
    assert not (locked / "store").exists()


def test_a_full_disk_during_a_put_is_exit_11_and_the_put_works_once_there_is_room(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    with tmpfs(tmp_path / "disk", "2m") as disk:
        root = disk / "store"
        assert pachlite(root, "create", "repo", "data", cwd=tmp_path).returncode == 0
        before = snapshot(root)
        result = pachlite(root, "put", "file", "data@master:/big.bin", "-f", str(big), cwd=tmp_path)
        one_line_error(result, 11, "no space left on the disk")
        assert snapshot(root) == before and not list((root / "tmp").iterdir())
        grow(disk, "16m")
        assert (
            pachlite(
                root, "put", "file", "data@master:/big.bin", "-f", str(big), cwd=tmp_path
            ).returncode
            == 0
        )
        assert "ok" in pachlite(root, "fsck", cwd=tmp_path).stdout


def test_a_full_disk_under_the_metadata_is_exit_11(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        root = disk / "store"
        assert pachlite(root, "create", "repo", "data", cwd=tmp_path).returncode == 0
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)  # take every last block
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        one_line_error(pachlite(root, "create", "repo", "more", cwd=tmp_path), 11, "no space left")
        (disk / "filler").unlink()
        assert pachlite(root, "create", "repo", "more", cwd=tmp_path).returncode == 0
        assert "ok" in pachlite(root, "fsck", cwd=tmp_path).stdout


def test_a_full_disk_fails_the_datum_and_the_next_run_recovers(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(
        "pipeline: {name: big}\ninput: {pfs: {repo: data, glob: /*}}\n"
        "transform: {cmd: [sh, -c, 'head -c 3000000 /dev/urandom > /pfs/out/$(basename $data)']}\n"
    )
    with tmpfs(tmp_path / "disk", "4m") as disk:
        root = disk / "store"
        assert pachlite(root, "create", "repo", "data", cwd=tmp_path).returncode == 0
        assert (
            pachlite(root, "put", "file", "data@master:/a", cwd=tmp_path, stdin=b"a").returncode
            == 0
        )
        created = pachlite(root, "create", "pipeline", "-f", "spec.yaml", cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        assert "JOB_FAILURE" in created.stderr and "no space left" in created.stderr
        jobs = pachlite(root, "list", "job", "-p", "big", "-o", "json", cwd=tmp_path).stdout
        assert json.loads(jobs.splitlines()[0])["state"] == "JOB_FAILURE"
        assert "ok" in pachlite(root, "fsck", cwd=tmp_path).stdout
        # Nothing but the (empty) project folder: scratch/<project>/<pipeline>/<job ID> went.
        left = list((root / "scratch").rglob("*")) if (root / "scratch").exists() else []
        assert all(path.is_dir() and path.parent == root / "scratch" for path in left), left
        grow(disk, "64m")  # space freed: the next commit's job redoes the failed datum
        put = pachlite(root, "put", "file", "data@master:/b", cwd=tmp_path, stdin=b"b")
        assert "JOB_SUCCESS (2 processed" in put.stderr, put.stderr
        listed = pachlite(root, "list", "file", "big@master:/", cwd=tmp_path).stdout
        assert "/a" in listed and "/b" in listed
