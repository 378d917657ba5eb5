"""The real `pachlite` CLI run as a subprocess, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    """Runs `pachlite` exactly as a user would: a new process, a real data root."""

    root: Path
    cwd: Path

    def __call__(self, *args: str, stdin: bytes | None = None, check: bool = True) -> Result:
        env = {**os.environ, "PACHLITE_ROOT": str(self.root)}
        proc = subprocess.run(
            [sys.executable, "-m", "pachlite", *args],
            input=stdin,
            capture_output=True,
            cwd=self.cwd,
            env=env,
            timeout=120,
        )
        result = Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
        if check and result.code != 0:
            raise AssertionError(f"pachlite {' '.join(args)} failed ({result.code}): {result.err}")
        return result
