"""The `pachlite` command as a user runs it: a real process, a real data root."""

import json
from pathlib import Path

import pytest

from tests.support.cli import Cli


def test_repo_file_commit_round_trip(cli: Cli) -> None:
    cli("create", "repo", "images", "-d", "pets")
    (cli.cwd / "cat.txt").write_text("meow\n")
    cli("put", "file", "images@master:/cat.txt", "-f", "cat.txt", "-m", "first cat")
    assert cli("get", "file", "images@master:/cat.txt").out == "meow\n"
    listed = cli("list", "repo").out.splitlines()
    assert listed[0].split() == ["NAME", "CREATED", "SIZE", "(MAX)", "DESCRIPTION"]
    assert listed[1].startswith("images")
    commits = [
        json.loads(line) for line in cli("list", "commit", "images", "-o", "json").out.splitlines()
    ]
    assert [(c["origin"], c["description"]) for c in commits] == [("USER", "first cat")]
    inspected = json.loads(cli("inspect", "commit", "images@master", "-o", "json").out)
    assert inspected["id"] == commits[0]["id"] and inspected["finished"] is not None


def test_stdin_append_and_get_to_file(cli: Cli) -> None:
    cli("create", "repo", "logs")
    cli("put", "file", "logs@master:/app.log", stdin=b"line 1\n")
    cli("put", "file", "logs@master:/app.log", "-a", "-f", "-", stdin=b"line 2\n")
    cli("get", "file", "logs@master:/app.log", "-o", "out.log")
    assert (cli.cwd / "out.log").read_text() == "line 1\nline 2\n"
    err = cli("put", "file", "logs@master", stdin=b"x", check=False)
    assert err.code == 2 and "needs a target path" in err.err


def test_recursive_put_get_glob_and_diff(cli: Cli) -> None:
    src = cli.cwd / "batch"
    (src / "images").mkdir(parents=True)
    for i in range(3):
        (src / "images" / f"{i}.jpg").write_bytes(bytes([i]) * 100)
    cli("create", "repo", "pets")
    cli("put", "file", "-r", "pets@master:/batch1", "-f", "batch")
    globbed = cli("glob", "file", "pets@master:/batch1/images/*", "-o", "json").out.splitlines()
    assert [json.loads(g)["path"] for g in globbed] == [
        "/batch1/images/0.jpg",
        "/batch1/images/1.jpg",
        "/batch1/images/2.jpg",
    ]
    cli("get", "file", "-r", "pets@master:/batch1", "-o", "copy")
    assert (cli.cwd / "copy" / "images" / "2.jpg").read_bytes() == bytes([2]) * 100
    cli("put", "file", "pets@master:/batch1/images/0.jpg", "-f", "batch/images/1.jpg")
    assert cli("diff", "file", "pets@master", "--name-only").out.split() == ["/batch1/images/0.jpg"]


def test_commit_lifecycle_and_provenance_from_the_cli(cli: Cli) -> None:
    cli("create", "repo", "raw")
    cli("create", "repo", "features")
    cli("create", "branch", "raw@master")
    cli("create", "branch", "features@master", "-p", "raw@master")
    commit_id = cli("start", "commit", "raw@master", "-m", "two files").out.strip()
    cli("put", "file", "raw@master:/a", stdin=b"a")
    cli("put", "file", "raw@master:/b", stdin=b"b")
    cli("finish", "commit", f"raw@{commit_id}")
    refused = cli("finish", "commit", "features@master", check=False)
    assert refused.code == 5 and "--force" in refused.err
    cli("finish", "commit", "features@master", "--force")
    waited = cli("wait", "commit", f"raw@{commit_id}").out
    assert f"features@{commit_id} finished" in waited
    full = cli("inspect", "commit", "features@master", "--full").out
    assert f"features@{commit_id}" in full and f"raw@{commit_id} (master) USER" in full
    subv = cli("list", "commit", f"raw@{commit_id}", "--subvenance", "-o", "json").out
    assert [json.loads(x)["repo"] for x in subv.splitlines()] == ["features"]
    assert "features@master" in cli("inspect", "branch", "raw@master").out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["inspect", "repo", "imagse"], 3, "did you mean 'images'"),
        (["get", "file", "images@mastre:/a"], 3, "did you mean 'master'"),
        (["get", "file", "images@master:/nope"], 3, "not found"),
        (["create", "repo", "images"], 4, "already exists"),
        (["create", "repo", "bad.name"], 2, "invalid repo name"),
        (["put", "file", "images@master:/a(1).txt", "-f", "a.txt"], 2, "not allowed"),
        (["put", "file", "images@master:/../a", "-f", "a.txt"], 2, "'..' elements"),
        (["put", "file", "images@master:/a", "-f", "missing.txt"], 2, "does not exist"),
        (["glob", "file", "images@master:/[abc"], 2, "invalid glob"),
        (["inspect", "commit", "images@master^9"], 3, "history has only"),
        (["list", "rpo"], 2, "did you mean 'repo'"),
        (["wait", "commit", "images@master", "--timeout", "0.1"], 0, ""),
    ],
)
def test_errors_are_one_line_with_an_exit_code_and_no_traceback(
    cli: Cli, args: list[str], code: int, needle: str
) -> None:
    cli("create", "repo", "images")
    (cli.cwd / "a.txt").write_text("a")
    cli("put", "file", "images@master:/a", "-f", "a.txt")
    before = cli("list", "commit", "images", "-o", "json").out
    result = cli(*args, check=False)
    assert result.code == code, result.err
    if code:
        assert needle in result.err
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err
    assert cli("list", "commit", "images", "-o", "json").out == before


def test_verbose_shows_the_traceback(cli: Cli) -> None:
    result = cli("-v", "inspect", "repo", "nope", check=False)
    assert result.code == 3
    assert "Traceback" in result.err and "error: repo 'nope' not found" in result.err


def test_root_flag_and_environment_select_the_store(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "other-root"
    cli("--root", str(other), "create", "repo", "elsewhere")
    assert "elsewhere" in cli("--root", str(other), "list", "repo").out
    assert "elsewhere" not in cli("list", "repo").out
    assert (other / "meta.sqlite").exists()


def test_default_root_is_dot_pachlite_in_the_current_directory(cli: Cli) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PACHLITE_ROOT"}
    subprocess.run(
        [sys.executable, "-m", "pachlite", "create", "repo", "here"],
        cwd=cli.cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (cli.cwd / ".pachlite" / "meta.sqlite").exists()


def test_piped_output_has_no_progress_bar(cli: Cli) -> None:
    (cli.cwd / "big.bin").write_bytes(b"x" * 3_000_000)
    cli("create", "repo", "r")
    result = cli("put", "file", "r@master:/big.bin", "-f", "big.bin")
    assert result.out == "" and result.err == ""


def test_fsck_reports_corruption_with_exit_code_8(cli: Cli) -> None:
    cli("create", "repo", "r")
    cli("put", "file", "r@master:/a", stdin=b"important")
    assert "ok" in cli("fsck").out
    objects = [p for p in (cli.root / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 1
    objects[0].chmod(0o644)
    objects[0].write_bytes(b"tampered!")
    result = cli("fsck", check=False)
    assert result.code == 8
    assert "corrupt" in result.out
    got = cli("get", "file", "r@master:/a", check=False)
    assert got.code == 8 and "does not match its hash" in got.err


def test_a_terminal_gets_a_progress_bar(cli: Cli) -> None:
    import os
    import pty
    import subprocess
    import sys

    (cli.cwd / "big.bin").write_bytes(os.urandom(50_000_000))
    cli("create", "repo", "r")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "put", "file", "r@master:/big.bin", "-f", "big.bin"],
        cwd=cli.cwd,
        env={**os.environ, "PACHLITE_ROOT": str(cli.root), "COLUMNS": "100"},
        stderr=follower,
        stdout=subprocess.DEVNULL,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the pty closes when the process exits
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    assert "big.bin" in drawn.decode(errors="replace")
    assert "━" in drawn.decode(errors="replace")
