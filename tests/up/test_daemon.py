"""`pachlite up` is the root's daemon: it serves Pachyderm's API to pachyderm-sdk, runs the
jobs whoever made the commits, and `pachlite version` asks it its version."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.cli import Cli
from tests.support.daemon import Daemon, start_daemon
from tests.support.ports import free_port
from tests.support.readme import fenced_block_after

pytest.importorskip("pachyderm_sdk")
from pachyderm_sdk.api import pfs

COPY = {
    "pipeline": {"name": "copy"},
    "input": {"pfs": {"repo": "raw", "glob": "/*"}},
    "transform": {"cmd": ["sh", "-c", "cp /pfs/raw/* /pfs/out/"]},
}


@pytest.fixture
def daemon(cli: Cli) -> Iterator[Daemon]:
    running = start_daemon(cli.root, cli.cwd)
    yield running
    assert running.stop() == 0, "".join(running.lines)


def test_the_sdk_writes_through_the_daemon_and_the_cli_reads_it(cli: Cli, daemon: Daemon) -> None:
    sdk = daemon.sdk()
    sdk.pfs.create_repo(repo=pfs.Repo(name="images"), description="from the SDK")
    with sdk.pfs.commit(branch=pfs.Branch.from_uri("images@master")) as commit:
        pass
    listed = [json.loads(line) for line in cli("list", "repo", "-o", "json").out.splitlines()]
    assert [(r["name"], r["description"]) for r in listed] == [("images", "from the SDK")]
    seen = json.loads(cli("inspect", "commit", "images@master", "-o", "json").out)
    assert seen["id"] == commit.id and seen["finished"]


def test_commits_return_at_once_and_the_daemon_runs_their_jobs(cli: Cli, daemon: Daemon) -> None:
    cli("create", "repo", "raw")
    (cli.cwd / "copy.json").write_text(json.dumps(COPY))
    cli("create", "pipeline", "-f", "copy.json")
    (cli.cwd / "a.txt").write_text("hello\n")

    put = cli("put", "file", "raw@master:/a.txt", "-f", "a.txt")
    assert f"jobs: run by `pachlite up` (pid {daemon.proc.pid})" in put.err
    assert "JOB_SUCCESS" not in put.err  # the command ran no job itself
    cli("wait", "commit", "copy@master")
    assert cli("get", "file", "copy@master:/a.txt").out == "hello\n"
    assert "copy | job " in daemon.wait_for_line("1 processed")

    # A commit the SDK makes is run by the daemon too, as pachd runs whoever's commit.
    with daemon.sdk().pfs.commit(branch=pfs.Branch.from_uri("raw@master")):
        pass
    cli("wait", "commit", "copy@master")
    jobs = cli("list", "job", "-p", "copy", "-o", "json").out.splitlines()
    assert len(jobs) == 3 and all(json.loads(j)["state"] == "JOB_SUCCESS" for j in jobs)


def test_version_shows_the_client_and_the_daemon(cli: Cli, daemon: Daemon) -> None:
    lines = cli("version").out.splitlines()
    assert lines[0].split() == ["COMPONENT", "VERSION"]
    assert lines[1].split()[0] == "pachlite" and lines[2].split()[0] == "pachd"
    assert lines[2].split()[1].endswith("-pachlite")
    versions = json.loads(cli("version", "-o", "json").out)
    assert set(versions) == {"pachlite", "pachd"}


def test_version_without_a_daemon_prints_the_client_then_one_line(cli: Cli) -> None:
    asked = cli("version", check=False)
    assert asked.code == 9
    assert asked.out.splitlines()[1].split()[0] == "pachlite"
    assert asked.err.strip() == (
        f"error: no `pachlite up` is running on {cli.root}; start one (`pachlite up`), "
        "or pass --client-only"
    )
    only = cli("version", "--client-only")
    assert [line.split()[0] for line in only.out.splitlines()] == ["COMPONENT", "pachlite"]


def test_a_second_up_is_refused_and_commands_keep_working(cli: Cli, daemon: Daemon) -> None:
    second = cli("up", "--until-idle", check=False)
    assert second.code == 5
    assert f"already running on {cli.root} (pid {daemon.proc.pid})" in second.err
    assert cli("version").out.count("pachd") == 1  # the first one still serves


def test_an_address_in_use_is_one_line_and_leaves_no_daemon(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = cli("up", "--until-idle", "--address", f"127.0.0.1:{port}", check=False)
    assert refused.code == 9
    assert refused.err.strip().splitlines()[-1] == (
        f"error: cannot listen on 127.0.0.1:{port}; is another server using it? "
        "pass --address HOST:PORT"
    )
    assert "Traceback" not in refused.err
    assert not (cli.root / "daemon.json").exists()
    assert cli("version", check=False).code == 9  # nothing is left claiming to run


def test_the_address_comes_from_the_environment(cli: Cli) -> None:
    port = free_port()
    running = start_daemon(cli.root, cli.cwd, env={"PACHLITE_ADDRESS": f"127.0.0.1:{port}"})
    try:
        assert running.port == port
    finally:
        assert running.stop() == 0


def test_the_default_address_is_pachds_on_loopback(cli: Cli) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 30650)) == 0:
            pytest.skip("something already listens on 127.0.0.1:30650")
    env = {k: v for k, v in os.environ.items() if k != "PACHLITE_ADDRESS"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "up"],
        stderr=subprocess.PIPE, text=True, cwd=cli.cwd,
        env={**env, "PACHLITE_ROOT": str(cli.root)},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "serving Pachyderm's API on 127.0.0.1:30650 " in line
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        proc.stderr.close()


def test_a_killed_daemon_is_not_believed_and_a_new_one_starts(cli: Cli) -> None:
    first = start_daemon(cli.root, cli.cwd)
    first.stop(signal.SIGKILL)
    assert (cli.root / "daemon.json").exists()  # left behind by SIGKILL
    assert cli("version", check=False).code == 9
    assert "jobs: run by" not in cli("create", "repo", "raw").err
    second = start_daemon(cli.root, cli.cwd)
    try:
        assert json.loads((cli.root / "daemon.json").read_text())["pid"] == second.proc.pid
        assert cli("version").out.count("pachd") == 1
    finally:
        assert second.stop() == 0


def test_the_readme_python_sdk_section_runs_against_the_daemon(cli: Cli, daemon: Daemon) -> None:
    script = fenced_block_after("### Python SDK", "python")
    assert "port=30650" in script  # the SDK's default, as a user runs it
    script = script.replace("port=30650", f"port={daemon.port}")
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "/hello.txt 19\nhello from the SDK\n"
    assert cli("get", "file", "sdk-demo@master:/hello.txt").out == "hello from the SDK\n"
