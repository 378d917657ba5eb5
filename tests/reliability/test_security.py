"""Security review, each point backed by a test.

Here: user code never runs through a shell built from data, and a secret given as an env var
stays out of everything pachlite stores. Elsewhere: RBAC has no wildcards
(tests/gitops/test_manifests.py::test_rbac_is_least_privilege), every image runs as non-root
(::test_dockerfiles_are_hadolint_clean_pinned_and_non_root), archive extraction cannot write
outside its target (tests/steps/test_warehouse.py, the '..', absolute-path, link and device
members), and a token never reaches git error messages (tests/steps/test_release.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pachlite import Client
from pachlite.model import JobState
from tests.support.repo import REPO_ROOT
from tests.support.steps.releases import GOOD, bare_repo, evaluation

NASTY_NAMES = [
    "a b.txt",
    'it\'s "quoted".txt',
    "x; touch pwned-semicolon.txt",
    "`touch pwned-backtick`.txt",
    "$HOME and $(id).txt".replace("(", "").replace(")", ""),  # () are reserved in PFS names
    "-rf.txt",
    "|cat .txt",
    "&& touch pwned-and.txt",
]
COPY = """
import os, pathlib, shutil
src = pathlib.Path(os.environ["data"])
shutil.copyfile(src, pathlib.Path(os.environ["OUT"]) / src.name)
"""


@pytest.mark.parametrize("style", ["argv", "sh -c with a quoted variable"])
def test_file_names_from_data_never_reach_a_shell(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    monkeypatch.chdir(tmp_path)
    client.create_repo("data")
    with client.commit("data@master"):
        for name in NASTY_NAMES:
            client.put_file_bytes(f"data@master:/{name}", name.encode())
    (tmp_path / "copy.py").write_text(COPY)
    cmd = (
        [sys.executable, "copy.py"]
        if style == "argv"
        else ["sh", "-c", 'cp -- "$data" "$OUT/$(basename -- "$data")"']
    )
    client.create_pipeline(
        {
            "pipeline": {"name": "copy"},
            "input": {"pfs": {"repo": "data", "glob": "/*"}},
            "transform": {"cmd": cmd, "env": {"OUT": "/pfs/out"}},
        },
        workdir=str(tmp_path),
    )
    client.run_pending()
    job = client.list_job(pipeline="copy")[0]
    assert job.state == JobState.SUCCESS, job.reason
    for name in NASTY_NAMES:
        assert client.get_file(f"copy@master:/{name}") == name.encode()
    assert len(list(client.walk_file("copy@master:/"))) == len(NASTY_NAMES)
    planted = [p for p in tmp_path.rglob("pwned*")] + [p for p in Path.cwd().glob("pwned*")]
    assert planted == [], "a file name was run as a command"


def everything_stored(root: Path) -> bytes:
    """The whole store as bytes: every metadata row (specs, logs, provenance) and object."""
    chunks = []
    with sqlite3.connect(f"file:{root / 'meta.sqlite'}?mode=ro", uri=True) as db:
        chunks += [line.encode() for line in db.iterdump()]
    chunks += [p.read_bytes() for p in sorted((root / "objects").rglob("*")) if p.is_file()]
    return b"\n".join(chunks)


def test_a_secret_env_var_stays_out_of_logs_provenance_and_outputs(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITOPS_TOKEN as Kubernetes injects a secret (into the worker's environment, not the
    spec): the release runs with it and pushes, and no byte of it is stored anywhere."""
    secret = "ghp_s3cr3tT0kenThatMustNeverLeak42"
    monkeypatch.setenv("GITOPS_TOKEN", secret)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    remote = bare_repo(tmp_path / "gitops.git")
    client.create_repo("evaluate")
    client.put_file("evaluate@master:/", evaluation(tmp_path / "eval", GOOD), recursive=True)
    spec = yaml.safe_load((REPO_ROOT / "pipelines" / "release.yaml").read_text())
    spec["transform"]["env"]["GITOPS_REPO"] = str(remote)
    client.create_pipeline(spec, workdir=str(REPO_ROOT))
    client.run_pending()
    assert client.list_job(pipeline="release")[0].state == JobState.SUCCESS
    decision = json.loads(client.get_file("release@master:/release.json"))
    assert decision["decision"] == "promote"
    assert secret.encode() not in everything_stored(client.store.root)
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "log", "-p", "--all"],
        capture_output=True,
        check=True,
    ).stdout
    assert secret.encode() not in pushed
