"""Spout processes (reference §6.1): long-running, writing their own commits through the API.

A spout that exits 0 is finished; one that fails is started again after a backoff that
doubles from 1 s to 30 s (Pachyderm's worker backs off from 10 s; locally a second is kinder).
Its stdout and stderr go to `<root>/logs/<pipeline>.log` and to the `up` console.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pachlite.pfs.store import Store
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.worker import process_tree
from pachlite.worker.datum_log import LINE_BYTES

Console = Callable[[str, str], None]  # (source, line)
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0


def process_env(store: Store, name: str, spec: PipelineSpec) -> dict[str, str]:
    env = dict(os.environ)
    env.update(spec.transform.env)
    env.update(
        {
            "PACHLITE_ROOT": str(store.root),
            "PACHLITE_SPOUT_REPO": name,
            "PACHLITE_SPOUT_BRANCH": spec.output_branch,
            "PPS_PIPELINE_NAME": name,
            "PPS_PROJECT_NAME": "default",
        }
    )
    return env


def log_path(store: Store, name: str) -> Path:
    folder = store.root / "logs"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}.log"


def read_log(store: Store, name: str) -> Iterator[str]:
    """A spout's or service's log, a line at a time (nothing is created: reads work on a
    read-only store)."""
    path = store.root / "logs" / f"{name}.log"
    if not path.exists():
        return
    with open(path, errors="replace") as log:
        for line in log:
            yield line.rstrip("\n")


def pump(stream: IO[bytes], tag: str, log_file: Path, console: Console) -> None:
    with open(log_file, "a", buffering=1) as log:
        for raw in iter(lambda: stream.readline(LINE_BYTES), b""):
            line = raw.decode(errors="replace").rstrip("\n")
            log.write(f"{time.time():.3f} {tag} {line}\n")
            console(tag, line)
    stream.close()


def attach(
    proc: subprocess.Popen[bytes], stdin: str, tag: str, log_file: Path, console: Console
) -> list[threading.Thread]:
    """Feed a long-running process its stdin; pump its stdout and stderr to log and console."""
    assert proc.stdin and proc.stdout and proc.stderr
    with contextlib.suppress(OSError):
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    readers = [
        threading.Thread(target=pump, args=(s, tag, log_file, console), daemon=True)
        for s in (proc.stdout, proc.stderr)
    ]
    for reader in readers:
        reader.start()
    return readers


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything it left behind


@dataclass
class Spout:
    store: Store
    name: str
    spec: PipelineSpec
    workdir: str
    console: Console
    proc: subprocess.Popen[bytes] | None = None
    finished: bool = False
    restarts: int = 0
    group: process_tree.Group | None = None
    next_start: float = 0.0
    backoff: float = BACKOFF_START_S
    readers: list[threading.Thread] = field(default_factory=list)

    def poll(self) -> None:
        """Start, watch, or restart the process, as its state asks."""
        if self.finished:
            return
        if self.proc is None:
            if time.monotonic() >= self.next_start:
                self._start()
            return
        code = self.proc.poll()
        if code is None:
            return
        if self.group is not None:
            process_tree.kill_group(self.group)  # whatever the exited spout left running
            self.group = None
        for reader in self.readers:
            reader.join(timeout=2)
        self.proc = None
        if code == 0:
            self.finished = True
            self.console(self.name, "spout finished (exit 0)")
            return
        self.restarts += 1
        self.console(self.name, f"spout exited with code {code}; restarting in {self.backoff:.0f}s")
        self.next_start = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX_S)

    def _start(self) -> None:
        cmd = list(self.spec.transform.cmd)
        stdin = "".join(line + "\n" for line in self.spec.transform.stdin)
        log_file = log_path(self.store, self.name)
        process_tree.become_subreaper()
        group = process_tree.Group.new()
        try:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                env=group.env(process_env(self.store, self.name, self.spec)),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            self.console(
                self.name, f"cannot start {cmd[:1]}: {getattr(exc, 'strerror', None) or exc}"
            )
            self.finished = True
            return
        self.group = group.started(self.proc.pid)
        self.readers = attach(self.proc, stdin, self.name, log_file, self.console)

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        if self.group is not None:
            process_tree.kill_group(self.group)  # daemons it started, too
            self.group = None
