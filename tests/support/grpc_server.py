"""pachlite's gRPC server run as a real subprocess (`python -m pachlite.server`) on
127.0.0.1 and a free port, and the real `pachyderm_sdk.Client` pointed at it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

START_TIMEOUT_S = 60.0


@dataclass
class ServerProcess:
    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def sdk(self) -> Any:
        """A new SDK client, constructed as its documentation shows."""
        from pachyderm_sdk import Client

        return Client(host="127.0.0.1", port=self.port)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the server and wait for it; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        finally:
            self._close_pipes()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_pipes()

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()


def start_server(root: Path, *extra: str, port: int | None = None) -> ServerProcess:
    """Start a server on `root` and return once it listens (its first stdout line)."""
    port = free_port() if port is None else port
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite.server", "--root", str(root),
         "--address", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PACHLITE_ROOT": str(root)},
    )  # fmt: skip
    server = ServerProcess(root, port, proc)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
    line = proc.stdout.readline().decode() if ready else ""
    if "listening on" not in line:
        proc.kill()
        code = proc.wait(30)
        err = server.stderr()
        server._close_pipes()
        raise AssertionError(f"server did not start (exit {code}): {line}{err}")
    server.lines.append(line)
    return server


def run_server(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the server command to its end (for the ways it refuses to start)."""
    return subprocess.run(
        [sys.executable, "-m", "pachlite.server", "--root", str(root), *args],
        capture_output=True,
        timeout=60,
    )


__all__ = ["ServerProcess", "run_server", "signal", "start_server"]
