"""Spout processes (docs/semantics.md §6.1): long-running, writing their own commits via the API.

A spout that exits 0 is finished; one that fails is started again after a backoff that
doubles from 1 s to 30 s (Pachyderm's worker backs off from 10 s; locally a second is kinder).
Its stdout and stderr go to `<root>/logs/<pipeline>.log` and to the `up` console.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pachlite.paths import file_stem
from pachlite.pfs.store import Store
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.worker import process

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
            "PPS_PIPELINE_NAME": spec.name,
            "PPS_PROJECT_NAME": spec.project,
        }
    )
    return env


def log_path(store: Store, name: str) -> Path:
    folder = store.root / "logs"
    folder.mkdir(exist_ok=True)
    return folder / f"{file_stem(name)}.log"


def read_log(store: Store, name: str) -> Iterator[str]:
    """A spout's or service's log, a line at a time (nothing is created: reads work on a
    read-only store)."""
    path = store.root / "logs" / f"{file_stem(name)}.log"
    if not path.exists():
        return
    with open(path, errors="replace") as log:
        for line in log:
            yield line.rstrip("\n")


@dataclass
class Spout:
    store: Store
    name: str
    spec: PipelineSpec
    workdir: str
    console: Console
    proc: process.Process | None = None
    finished: bool = False
    restarts: int = 0
    next_start: float = 0.0
    backoff: float = BACKOFF_START_S

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
        self.proc.end(drain_s=process.DRAIN_S)  # whatever the exited spout left running
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
        sink = process.log_file_sink(log_path(self.store, self.name), self.name, self.console)
        try:
            self.proc = process.start(
                cmd,
                cwd=self.workdir,
                env=process_env(self.store, self.name, self.spec),
                stdin=stdin,
                sink=sink,
            )
        except (OSError, ValueError) as exc:
            self.console(
                self.name, f"cannot start {cmd[:1]}: {getattr(exc, 'strerror', None) or exc}"
            )
            self.finished = True

    def stop(self) -> None:
        if self.proc is not None:
            # Daemons it started, too.
            self.proc.end(grace_s=process.STOP_GRACE_S, drain_s=process.DRAIN_S)
            self.proc = None
