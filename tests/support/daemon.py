"""`pachlite up` run as a real subprocess, serving Pachyderm's API on 127.0.0.1 (a free port
unless told otherwise), with its console read as it writes it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60.0
SERVING = re.compile(r"serving Pachyderm's API on (\S+):(\d+) ")


@dataclass
class Daemon:
    root: Path
    proc: subprocess.Popen[str]
    port: int = 0
    lines: list[str] = field(default_factory=list)

    def sdk(self) -> Any:
        """A new SDK client, constructed as its documentation shows."""
        from pachyderm_sdk import Client

        return Client(host="127.0.0.1", port=self.port)

    def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        """The first console line containing `text` (it may already have been written)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} from `pachlite up`:\n{''.join(self.lines)}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self._reader.join(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return code

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def start_reading(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()


def start_daemon(root: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Daemon:
    """Start `pachlite up ARGS` and return once its API listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "up", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PACHLITE_ROOT": str(root), **(env or {})},
    )
    daemon = Daemon(root, proc)
    daemon.start_reading()
    try:
        found = SERVING.search(daemon.wait_for_line("serving Pachyderm's API", START_TIMEOUT_S))
    except AssertionError:
        daemon.stop(signal.SIGKILL)
        raise
    assert found is not None
    daemon.port = int(found.group(2))
    return daemon
