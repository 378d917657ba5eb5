"""SIGKILL between (and during) single puts into one open commit: each put is kept or absent.

The writer prints `PUT <path> <sha256>` after each put returns: a promise the store must keep.
After the kill, the still-open commit holds every promised put and any other file whole, fsck
finds nothing wrong, and the commit finishes with exactly what a read showed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from pachlite import Client

WRITER = """
import hashlib, os, sys
from pachlite import Client
client = Client(sys.argv[1])
target = sys.argv[2]
i = int(sys.argv[3])
while True:
    data = os.urandom(1 + i % 3000)
    path = f"/spout/f{i:06d}"
    client.put_file_bytes(f"{target}:{path}", data)
    print("PUT", path, hashlib.sha256(data).hexdigest(), flush=True)
    i += 1
"""


def test_sigkill_between_staged_puts_keeps_each_put_or_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Client(root) as client:
        client.create_repo("r")
        target = f"r@{client.start_commit('r@master').id}"
    promised: dict[str, str] = {}
    for round_, delay in enumerate((0.8, 1.3, 1.9)):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), target, str(round_ * 100_000)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        time.sleep(delay)
        proc.kill()
        out, _ = proc.communicate()
        for line in out.decode().splitlines():
            _, path, digest = line.split()
            promised[path] = digest
        with Client(root) as client:
            report = client.fsck()
            assert report.ok, report.problems
            found = {
                path: hashlib.sha256(client.get_file(f"{target}:{path}")).hexdigest()
                for path, _, _ in client.walk_file(f"{target}:/")
            }
            assert client.inspect_commit(target).finished is None
        # Every promise kept; at most the put each kill interrupted is there unpromised.
        assert {p: found[p] for p in promised} == promised
        assert len(set(found) - set(promised)) <= round_ + 1
    assert len(promised) > 10, "the writer never got going"
    with Client(root) as client:
        client.finish_commit(target)
        finished = {p for p, _, _ in client.walk_file(f"{target}:/")}
        assert finished == set(found)
        assert client.fsck().ok
