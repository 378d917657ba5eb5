"""Spouts, services, `pachlite up` and the lineage pictures."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pachlite import Client
from pachlite.model import JobState
from tests.support.cli import Cli
from tests.support.ports import free_port
from tests.support.repo import REPO_ROOT
from tests.support.spout_dag import EMIT, write_dag


def test_spout_emits_three_commits_and_up_until_idle_runs_the_dag(cli: Cli) -> None:
    write_dag(cli.cwd)
    result = cli("up", "--until-idle", "-f", "pipelines")
    assert "spout finished (exit 0)" in result.err and "idle" in result.err
    stream = [json.loads(x) for x in cli("list", "commit", "stream", "-o", "json").out.splitlines()]
    assert [c["description"] for c in stream] == ["batch 2", "batch 1", "batch 0"]
    assert all(c["origin"] == "USER" and c["finished"] for c in stream)
    assert cli("get", "file", "joined@master:/all").out == "DATA 0\nDATA 1\nDATA 2\n"
    jobs = [json.loads(x) for x in cli("list", "job", "-p", "shout", "-o", "json").out.splitlines()]
    assert jobs[0]["data_skipped"] == 2 and jobs[0]["data_processed"] == 1
    assert "open" not in cli("list", "commit").out
    # A second `up` finds everything done: a resumable spout emits nothing twice.
    cli("up", "--until-idle", "-f", "pipelines")
    assert len(cli("list", "commit", "stream", "-o", "json").out.splitlines()) == 3


def test_a_failing_spout_is_restarted(cli: Cli) -> None:
    flaky = EMIT.replace(
        "out = connect()",
        "import pathlib\nmarker = pathlib.Path('crashed-once')\n"
        "if not marker.exists():\n    marker.write_text('x')\n    sys.exit(3)\nout = connect()",
    )
    write_dag(cli.cwd, flaky)
    result = cli("up", "--until-idle")
    assert "spout exited with code 3; restarting in 1s" in result.err
    assert len(cli("list", "commit", "stream", "-o", "json").out.splitlines()) == 3


SERVE = """
import http.server, os, pathlib, sys
data = pathlib.Path(os.environ["content"]).read_text()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = data.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def fetch(url: str, expect: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                last = response.read().decode()
                if last == expect:
                    return last
        except (OSError, http.client.HTTPException):  # a restart may cut a response short
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} answered {last!r}, not {expect!r}")


def test_service_answers_http_and_restarts_on_new_data(tmp_path: Path) -> None:
    internal, external = free_port(), free_port()
    (tmp_path / "serve.py").write_text(SERVE)
    with Client(tmp_path / "store") as client:
        client.create_repo("content")
        client.put_file_bytes("content@master:/page", b"version one")
        client.create_pipeline(
            {
                "pipeline": {"name": "web"},
                "transform": {"cmd": [sys.executable, "serve.py", str(internal)]},
                "input": {"pfs": {"repo": "content", "glob": "/page"}},
                "service": {"internal_port": internal, "external_port": external},
            },
            workdir=str(tmp_path),
        )
        stop = threading.Event()
        thread = threading.Thread(target=lambda: client.up(None, stop=stop))
        thread.start()
        try:
            url = f"http://127.0.0.1:{external}/"
            assert fetch(url, "version one") == "version one"
            services = client.list_service()
            assert services[0]["url"] == f"http://127.0.0.1:{external}"
            assert services[0]["state"] == "running"
            commit = client.put_file_bytes("content@master:/page", b"version two")
            assert fetch(url, "version two") == "version two"
            assert client.list_service()[0]["input_commits"] == [f"content@{commit.id}"]
            jobs = client.list_job(pipeline="web")
            assert jobs[0].state == JobState.RUNNING and jobs[1].state == JobState.SUCCESS
        finally:
            stop.set()
            thread.join(timeout=30)
        assert not thread.is_alive()
        assert client.list_service() == []
        assert all(j.state.terminal for j in client.list_job(pipeline="web"))
        assert all(c.is_finished for c in client.list_commit())
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{external}/", timeout=2)
        # A later `up` with no new data serves the last data again: no new job, no commit.
        commits_before = [c.id for c in client.list_commit()]
        stop = threading.Event()
        thread = threading.Thread(target=lambda: client.up(None, stop=stop))
        thread.start()
        try:
            assert fetch(url, "version two") == "version two"
            assert client.list_service()[0]["input_commits"] == [f"content@{commit.id}"]
        finally:
            stop.set()
            thread.join(timeout=30)
        assert len(client.list_job(pipeline="web")) == 2
        assert [c.id for c in client.list_commit()] == commits_before
        assert client.fsck().ok


def test_a_second_up_on_the_same_root_is_refused(tmp_path: Path) -> None:
    with Client(tmp_path / "store") as client:
        stop = threading.Event()
        thread = threading.Thread(target=lambda: client.up(None, stop=stop))
        thread.start()
        time.sleep(0.5)
        env = {**os.environ, "PACHLITE_ROOT": str(tmp_path / "store")}
        second = subprocess.run(
            [sys.executable, "-m", "pachlite", "up", "--until-idle"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        beside = subprocess.run(
            [sys.executable, "-m", "pachlite", "create", "repo", "made-beside-up"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        stop.set()
        thread.join(timeout=30)
    assert second.returncode == 5
    assert "already running" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert beside.returncode == 0, beside.stderr  # other commands work while `up` runs


def test_sigint_during_a_job_leaves_no_process_and_a_clean_store(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "slow.yaml").write_text(
        "pipeline: {name: slow}\n"
        f"transform: {{cmd: [sh, -c, 'sleep 300 & echo $! > {pidfile}; wait']}}\n"
        "input: {pfs: {repo: data, glob: '/*'}}\n"
    )
    env = {**os.environ, "PACHLITE_ROOT": str(tmp_path / "store"), "PYTHONPATH": str(REPO_ROOT)}
    with Client(tmp_path / "store") as client:
        client.create_repo("data")
        client.put_file_bytes("data@master:/x", b"1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "up"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pidfile.exists(), "the datum never started"
    child = int(pidfile.read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    time.sleep(0.2)
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()
    with Client(tmp_path / "store") as client:
        assert client.fsck().ok
        job = client.list_job(pipeline="slow")[0]
        assert job.state == JobState.KILLED and "interrupted" in (job.reason or "")
        assert all(c.is_finished for c in client.list_commit())


def test_pictures_parse_and_name_every_pipeline(cli: Cli) -> None:
    write_dag(cli.cwd)
    cli("up", "--until-idle")
    text = cli("draw", "pipeline").out
    for name in ("stream", "shout", "joined"):
        assert name in text
    assert "stream ──▶ shout" in text and "shout ──▶ joined" in text
    cli("draw", "pipeline", "-o", "dag.svg")
    cli("draw", "commit", "joined@master", "-o", "prov.html")
    svg = ET.parse(cli.cwd / "dag.svg").getroot()
    names = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    for name in ("stream", "shout", "joined"):
        assert name in names
    html = (cli.cwd / "prov.html").read_text()
    start = html.index("<svg")
    prov = ET.fromstring(html[start : html.index("</svg>") + len("</svg>")])
    labels = " ".join(t.text or "" for t in prov.iter("{http://www.w3.org/2000/svg}text"))
    assert "joined@" in labels and "shout@" in labels and "stream@" in labels
    assert "job " in labels and "spec " in labels


def test_the_spout_adapter_says_where_it_cannot_write(tmp_path: Path) -> None:
    code = (
        "from pachlite.spout import connect\n"
        "try:\n    connect()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PACHLITE_ROOT", "PACHLITE_SPOUT_REPO", "PPS_PIPELINE_NAME")
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert out.startswith("InvalidArgument not running as a spout")


def test_local_spout_commits_are_all_or_nothing(tmp_path: Path) -> None:
    from pachlite.spout import LocalSpout

    with Client(tmp_path / "store") as client:
        client.create_repo("stream")
    spout = LocalSpout(str(tmp_path / "store"), "stream")
    with spout.commit("one"):
        spout.put_bytes("/a", b"1")
    with pytest.raises(RuntimeError), spout.commit("broken"):
        spout.put_bytes("/b", b"2")
        raise RuntimeError("the source went away")
    assert spout.exists("/a") and not spout.exists("/b")
    with Client(tmp_path / "store") as client:
        assert [c.description for c in client.list_commit("stream")] == ["one"]


def test_edges_that_skip_a_layer_are_drawn_around_the_boxes() -> None:
    from pachlite.lineage import Graph, Node, layers, render_svg

    graph = Graph("g")
    for name in ("transform", "tune", "model"):
        graph.add(Node(name, (name,)))
    graph.link("transform", "tune")
    graph.link("tune", "model")
    graph.link("transform", "model")  # model reads both
    assert layers(graph) == [["transform"], ["tune"], ["model"]]
    svg = ET.fromstring(render_svg(graph))
    paths = [p.get("d") or "" for p in svg.iter("{http://www.w3.org/2000/svg}path")]
    drawn = [p for p in paths if p.startswith("M ") and " C " in p]
    assert len(drawn) == 3  # every edge, the skipping one included
