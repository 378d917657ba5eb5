"""Several processes writing to one store at once: every commit lands, nobody sees a lock error."""

import os
import subprocess
import sys
from pathlib import Path

from pachlite import Client
from tests.support.repo import REPO_ROOT

WRITER = """
import sys
from pachlite import Client
root, repo, worker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with Client(root) as client:
    for i in range(count):
        client.put_file_bytes(f"{repo}@master:/w{worker}/{i}", f"{worker}-{i}".encode())
"""


def test_parallel_writers_to_one_repo_and_to_several(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Client(root) as client:
        for repo in ("shared", "own0", "own1"):
            client.create_repo(repo)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    jobs = [("shared", w) for w in range(4)] + [("own0", 9), ("own1", 9)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), repo, str(w), "25"],
            env=env,
            stderr=subprocess.PIPE,
        )
        for repo, w in jobs
    ]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        errors.append(err.decode())
        assert proc.returncode == 0, err.decode()
    assert not any("locked" in e for e in errors)
    with Client(root) as client:
        assert len(client.list_commit("shared")) == 100
        assert len(client.list_commit("own0")) == 25
        files = {p for p, _, _ in client.walk_file("shared@master:/")}
        assert len(files) == 100
        assert client.get_file("shared@master:/w3/24") == b"3-24"
        # Each commit's parent is the one before it: one linear history, nothing lost.
        history = client.list_commit("shared@master")
        assert len(history) == 100 and history[-1].parent is None
        assert client.fsck().ok
