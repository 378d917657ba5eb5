"""User code that prints a lot, and how to measure what it costs: the peak resident set of a
`pachlite` process and the size of meta.sqlite. Used by tests/reliability/test_limits.py and
bench/logs.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.repo import REPO_ROOT

NOISY = """
import sys
line = "x" * 99 + "\\n"
sys.stdout.write("first line\\n")
for _ in range(int(sys.argv[1]) * 10_000):  # 100 bytes a line: argv[1] MB
    sys.stdout.write(line)
sys.stdout.write("last line\\n")
"""


def peak_rss_mb(root: Path, *args: str, cwd: Path) -> tuple[int, float]:
    """Run pachlite; (exit code, peak RSS in MB). Output goes to a file: it may be large."""
    with open(cwd / "out.txt", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pachlite", *args],
            stdout=out,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, "PACHLITE_ROOT": str(root), "PYTHONPATH": str(REPO_ROOT)},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def meta_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("meta.sqlite*"))


def spec(name: str, cmd: str, glob: str = "/") -> str:
    return (
        f"pipeline: {{name: {name}}}\ninput: {{pfs: {{repo: data, glob: '{glob}'}}}}\n"
        f"transform: {{cmd: {cmd}}}\n"
    )
