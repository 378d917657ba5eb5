"""No damaged byte reaches user code, no failure wedges a job, no output is dropped silently."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.model import DatumState, JobState
from pachlite.pfs.localfs import makedirs, remove_tree
from tests.support.cli import Cli
from tests.support.pipelines import last_job, pfs, spec

CP = ["sh", "-c", "cp -r /pfs/data/. /pfs/out/"]


def object_of(client: Client, target: str) -> Path:
    return client.store.objects.path(client.inspect_file(target).hash)


def flip_a_bit(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    path.chmod(0o444)


@pytest.mark.parametrize("mode", ["copy", "link"])
def test_a_corrupt_input_fails_its_datum_and_never_reaches_user_code(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("PACHLITE_INPUTS", mode)
    client.create_repo("data")
    client.put_file_bytes("data@master:/good.txt", b"good")
    client.put_file_bytes("data@master:/bad.txt", b"hello world")
    damaged = object_of(client, "data@master:/bad.txt")
    digest = client.inspect_file("data@master:/bad.txt").hash
    flip_a_bit(damaged)
    seen = tmp_path / "seen"
    body = spec("cp", ["sh", "-c", f"cat $data >> {seen}; cp $data /pfs/out/"], pfs("data"))
    body["transform"]["err_cmd"] = ["sh", "-c", f"echo errcmd >> {seen}"]
    client.create_pipeline(body)
    objects_before = set(client.store.objects.hashes())
    [ran] = client.run_pending()
    assert ran.state == JobState.FAILURE
    job = last_job(client, "cp")
    assert job.reason and f"object {digest[:12]} does not match its hash" in job.reason
    assert "data@" in job.reason and ":/bad.txt" in job.reason
    [bad] = [d for d in client.list_datum(f"cp@{job.id}") if d.state == DatumState.FAILED]
    assert bad.attempts == 3  # datum_tries counts attempts that could not even start
    assert "input data (data@" in (bad.reason or "")
    assert seen.read_text() == "good"  # the damaged bytes never reached user code; no err_cmd
    logs = [line.line for _, line in client.logs(job=f"cp@{job.id}")]
    assert sum("attempt" in line and "does not match its hash" in line for line in logs) == 3
    output = client.inspect_commit(f"cp@{job.id}")
    assert output.error and "does not match its hash" in output.error
    assert client.list_file(f"cp@{job.id}:/") == []  # nothing from bad bytes
    assert set(client.store.objects.hashes()) <= objects_before | {
        client.inspect_file("data@master:/good.txt").hash
    }
    assert [p for p in client.fsck().problems if "bad" in p or digest[:12] in p]


def test_a_missing_object_fails_the_job_and_the_next_commands_work(cli: Cli) -> None:
    cli("create", "repo", "data")
    cli("put", "file", "data@master:/a.txt", stdin=b"a")
    for path in (cli.root / "objects").rglob("*"):
        if path.is_file():
            path.unlink()
    (cli.cwd / "spec.yaml").write_text(
        "pipeline: {name: cp}\ninput: {pfs: {repo: data, glob: /*}}\n"
        "transform: {cmd: [sh, -c, 'cp $data /pfs/out/']}\n"
    )
    created = cli("create", "pipeline", "-f", "spec.yaml")
    assert "JOB_FAILURE" in created.err and "is missing" in created.err
    assert "JOB_RUNNING" not in cli("list", "job").out
    put = cli("put", "file", "data@master:/b.txt", stdin=b"b")  # not wedged: exit 0
    assert "1 processed" in put.err
    assert cli("get", "file", "cp@master:/b.txt", check=False).code == 3  # job failed again
    assert cli("delete", "pipeline", "cp").code == 0  # no --force needed


def test_a_damaged_directory_node_fails_the_job_instead_of_wedging_it(client: Client) -> None:
    client.create_repo("data")
    client.put_file_bytes("data@master:/sub/a.txt", b"a")
    sub = client.inspect_file("data@master:/sub").hash
    client.create_pipeline(spec("cp", CP, pfs("data", glob="/")))
    with sqlite3.connect(client.store.root / "meta.sqlite") as db:  # a row lost to damage
        db.execute("DELETE FROM trees WHERE hash = ?", (sub,))
    [ran] = client.run_pending()
    assert ran.state == JobState.FAILURE
    assert f"directory node {sub[:12]} is missing" in (last_job(client, "cp").reason or "")
    assert client.run_pending() == []  # nothing left RUNNING to trip over


def test_symlinks_in_pfs_out_are_uploaded_as_what_they_point_at(
    client: Client, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "nested").mkdir(parents=True)
    (outside / "top.txt").write_text("top")
    (outside / "nested" / "deep.txt").write_text("deep")
    (outside / "file-link").symlink_to(outside / "top.txt")
    client.create_repo("data")
    client.put_file_bytes("data@master:/in/x.txt", b"x")
    client.create_repo("big")
    client.put_file_bytes("big@master:/model.bin", b"weights")
    script = (
        f"ln -s {outside} /pfs/out/dir && ln -s {outside}/top.txt /pfs/out/file && "
        "ln -s ../data/in /pfs/out/rel && ln -s $data/in /pfs/out/input && "
        "ln -s /pfs/big/model.bin /pfs/out/model.bin && mkfifo /pfs/out/pipe"
    )
    body = spec(
        "links",
        ["sh", "-c", script],
        {"cross": [pfs("data", glob="/"), pfs("big", glob="/", empty_files=True)]},
    )
    client.create_pipeline(body)
    [ran] = client.run_pending()
    assert ran.state == JobState.SUCCESS, last_job(client, "links").reason
    files = {
        p: client.get_file(f"links@master:{p}") for p, _, _ in client.walk_file("links@master:/")
    }
    assert files == {
        "/dir/top.txt": b"top",
        "/dir/nested/deep.txt": b"deep",
        "/dir/file-link": b"top",  # a link to a file inside a linked directory: its content
        "/file": b"top",
        "/input/x.txt": b"x",
        "/rel/x.txt": b"x",  # a relative target, from the link's own directory
        "/model.bin": b"weights",  # an empty_files input: the committed content, not empty
    }


@pytest.mark.parametrize(
    ("make", "says"),
    [
        ("ln -s /nonexistent/target /pfs/out/dangling", "which does not exist"),
        ("ln -s {outside} /pfs/out/dir", "symlink to a directory inside a linked directory"),
    ],
)
def test_links_pachyderm_cannot_upload_fail_the_datum(
    client: Client, tmp_path: Path, make: str, says: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "inner").symlink_to(tmp_path)
    client.create_repo("data")
    client.put_file_bytes("data@master:/a", b"a")
    client.create_pipeline(spec("links", ["sh", "-c", make.format(outside=outside)], pfs("data")))
    [ran] = client.run_pending()
    assert ran.state == JobState.FAILURE
    assert says in (last_job(client, "links").reason or "")


@pytest.fixture
def deep_tree(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local tree 1,200 directories deep with one file at the bottom (removed without
    recursion afterwards: Python's own rmtree cannot)."""
    top = tmp_path / "deep"
    rel = "/".join(["d"] * 1200)
    makedirs(top / rel)
    (top / rel / "f.txt").write_text("bottom")
    yield top, rel
    for child in tmp_path.iterdir():
        remove_tree(child)


def test_a_tree_1200_levels_deep_goes_in_comes_out_and_runs(
    client: Client, tmp_path: Path, deep_tree: tuple[Path, str]
) -> None:
    top, rel = deep_tree
    client.create_repo("data")
    client.put_file("data@master:/t", top, recursive=True)
    client.put_file_bytes("data@master:/other.txt", b"o")
    deep_path = f"/t/{rel}/f.txt"
    assert client.get_file(f"data@master:{deep_path}") == b"bottom"
    assert [p for p, _, _ in client.walk_file("data@master:/t")] == [deep_path]
    assert len(client.glob_file("data@master:/t/**")) == 1201
    assert [f.path for f in client.list_file(f"data@master:/t/{rel}")] == [deep_path]
    assert [d.path for d in client.diff_file("data@master")] == ["/other.txt"]
    assert [d.path for d in client.diff_file("data@master", "data@master^")] == ["/other.txt"]
    written = client.get_file_to("data@master:/t", tmp_path / "copy", recursive=True)
    assert [p.read_text() for p in written] == ["bottom"]
    assert client.fsck().ok
    client.create_pipeline(spec("cp", CP, pfs("data", glob="/")))
    [ran] = client.run_pending()
    assert ran.state == JobState.SUCCESS, last_job(client, "cp").reason
    assert client.get_file(f"cp@master:{deep_path}") == b"bottom"


DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(os.path.join(sys.argv[1], os.environ["PACH_DATUM_ID"][:12]), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    os._exit(0)
time.sleep(0.5)
"""


def test_daemons_started_by_datums_die_with_them(client: Client, tmp_path: Path) -> None:
    (tmp_path / "daemon.py").write_text(DAEMON)
    pids = tmp_path / "pids"
    pids.mkdir()
    client.create_repo("data")
    for name in "abcd":
        client.put_file_bytes(f"data@master:/{name}", name.encode())
    body = spec("d", [sys.executable, str(tmp_path / "daemon.py"), str(pids)], pfs("data"))
    body["parallelism_spec"] = {"constant": 2}
    client.create_pipeline(body)
    [ran] = client.run_pending()
    assert ran.state == JobState.SUCCESS
    started = [int(p.read_text()) for p in pids.iterdir()]
    assert len(started) == 4
    assert not [pid for pid in started if os.path.exists(f"/proc/{pid}")]


def test_fsck_walks_a_directory_stored_in_pieces_and_finds_a_damaged_piece(
    client: Client,
) -> None:
    import json

    from pachlite.pfs.nodes import SPLIT, Index, parse

    client.create_repo("data")
    with client.commit("data@master") as commit:
        for i in range(SPLIT + 500):
            client.put_file_bytes(f"data@{commit.id}:/many/f{i:05d}", b"x")
    many = client.inspect_file("data@master:/many").hash
    index = parse(client.store.db.one("SELECT body FROM trees WHERE hash = ?", (many,))["body"])
    assert isinstance(index, Index) and len(index.pieces) > 1
    assert len(client.list_file("data@master:/many")) == SPLIT + 500
    assert client.get_file("data@master:/many/f04321") == b"x"
    assert client.fsck().ok
    piece = index.pieces[1].hash
    with sqlite3.connect(client.store.root / "meta.sqlite") as db:  # one entry lost from a piece
        (body,) = db.execute("SELECT body FROM trees WHERE hash = ?", (piece,)).fetchone()
        db.execute(
            "UPDATE trees SET body = ? WHERE hash = ?", (json.dumps(json.loads(body)[1:]), piece)
        )
    assert any(piece[:12] in p and "does not match" in p for p in client.fsck().problems)
    with sqlite3.connect(client.store.root / "meta.sqlite") as db:  # a piece lost
        db.execute("DELETE FROM trees WHERE hash = ?", (piece,))
    assert any(f"directory node {piece[:12]} is missing" in p for p in client.fsck().problems)
