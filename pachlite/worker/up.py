"""`pachlite up`: the foreground supervisor, like `docker compose up` (docs/semantics.md §6).

It creates the input repos and creates or updates the pipelines of a directory, then loops:
run the batch jobs that are ready, tick cron inputs that are due, keep spouts and services
running. Ctrl-C (or SIGTERM) stops everything: datum and service process groups are killed,
an interrupted job ends KILLED and its output commit is finished with that reason, so nothing
is left open. One `up` per data root: a second one is refused.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pachlite.errors import Conflict
from pachlite.pfs import repos
from pachlite.pfs.refs import repo_exists
from pachlite.pfs.store import Store
from pachlite.pps.cron import parse_schedule
from pachlite.pps.pipeline_spec import CronInput
from pachlite.pps.validate import iter_inputs
from pachlite.ppsdb import pipelines as pipeline_table
from pachlite.worker import daemon, job_info, pipelines, scheduler
from pachlite.worker.locks import UP_LOCK
from pachlite.worker.services import Service
from pachlite.worker.spouts import Console, Spout

POLL_S = 0.2
# `daemon.running` probes the lock with a shared flock for an instant; a starting `up` that
# meets the probe tries again rather than reporting itself already running.
LOCK_TRIES, LOCK_RETRY_S = 10, 0.02
# What serves Pachyderm's API beside the supervisor: entered once the lock is held, it
# yields the address it bound (None: no API).
Api = Callable[[], AbstractContextManager[str | None]]


@contextmanager
def up_lock(store: Store) -> Iterator[None]:
    path = store.root / UP_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        for attempt in range(LOCK_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt + 1 == LOCK_TRIES:
                    holder = os.pread(fd, 32, 0).decode().strip() or "?"
                    raise Conflict(
                        f"`pachlite up` is already running on {store.root} (pid {holder})",
                        "use that one (other pachlite commands work beside it), or stop it first",
                    ) from None
                time.sleep(LOCK_RETRY_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def apply_specs(store: Store, spec_dir: str, console: Console) -> list[str]:
    """Create missing input repos; create new pipelines and update changed ones."""
    batch = pipelines.read_specs(spec_dir)
    produced = {(s.get("pipeline") or {}).get("name") for _, s in batch}
    for _, spec in batch:
        for kind, body in iter_inputs(spec.get("input")):
            repo = body.get("repo")
            if kind == "pfs" and repo and repo not in produced and not repo_exists(store, repo):
                repos.create_repo(store, repo, description="Input repo (created by pachlite up).")
                console("up", f"created repo {repo}")
    changed = []
    for source, spec in pipelines.order_specs(batch):
        name = spec["pipeline"]["name"]
        current = pipeline_table.get(store.db, name)
        if current is not None and current.user_spec == spec:
            continue
        info = pipelines.create_pipeline(store, spec, source=source, update=current is not None)
        console(
            "up", f"{'updated' if current else 'created'} pipeline {name} (version {info.version})"
        )
        changed.append(name)
    return changed


@dataclass
class Supervisor:
    store: Store
    console: Console
    stop: threading.Event = field(default_factory=threading.Event)
    spouts: dict[str, Spout] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    last_tick: dict[str, datetime] = field(default_factory=dict)

    def refresh(self) -> None:
        """Know every spout and service pipeline, and follow their current versions."""
        for pipeline in pipelines.current_versions(self.store):
            spec, name = pipeline.spec, pipeline.name
            kind = spec.kind
            if pipeline.stopped:
                self._drop(name)
                continue
            if kind == "spout" and name not in self.spouts:
                self.spouts[name] = Spout(self.store, name, spec, pipeline.workdir, self.console)
            if kind == "service" and name not in self.services:
                self.services[name] = Service(
                    self.store, name, pipeline.id, spec, pipeline.workdir, self.console
                )

    def _drop(self, name: str) -> None:
        if name in self.spouts:
            self.spouts.pop(name).stop()
        if name in self.services:
            self.services.pop(name).stop()

    def tick_crons(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        for pipeline in pipelines.current_versions(self.store):
            for cron in pipeline.spec.cron_inputs:
                schedule = parse_schedule(cron.spec)
                last = self.last_tick.get(cron.repo) or self._latest_tick(cron, pipeline.created)
                due = schedule.next_after(last)
                if due is not None and due <= now:
                    job_info.run_cron(self.store, pipeline.name, due)
                    self.last_tick[cron.repo] = due

    def _latest_tick(self, cron: CronInput, created: float) -> datetime:
        """The newest tick file in the cron repo, else `start`, else the pipeline's creation:
        the next tick follows it, so ticks missed while down are caught up one by one."""
        stamps = []
        for path, _, _ in _walk(self.store, cron.repo):
            try:
                stamps.append(
                    datetime.strptime(path.strip("/"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                )
            except ValueError:
                continue
        if stamps:
            return max(stamps)
        start = cron.start
        return datetime.fromisoformat(start) if start else datetime.fromtimestamp(created, UTC)

    def step(
        self,
        progress: scheduler.ProgressFactory | None = None,
        on_job: Callable[[scheduler.RanJob], None] | None = None,
    ) -> list[scheduler.RanJob]:
        self.refresh()
        self.tick_crons()
        for spout in self.spouts.values():
            spout.poll()
        ran = scheduler.run_pending(
            self.store, progress=progress, interrupted=self.stop.is_set, on_done=on_job
        )
        for service in self.services.values():
            service.poll()
        return ran

    def idle(self) -> bool:
        spouts_done = all(s.finished for s in self.spouts.values())
        return spouts_done and scheduler.next_runnable(self.store) is None

    def shutdown(self) -> None:
        for name in list(self.spouts) + list(self.services):
            self._drop(name)


def _walk(store: Store, repo: str) -> list[tuple[str, int, str]]:
    from pachlite.pfs.refs import commit_by_row_id, find_branch, require_repo

    branch = find_branch(store, require_repo(store, repo), "master")
    if branch is None or branch.head is None:
        return []
    commit = commit_by_row_id(store, branch.head)
    return [(p, e.size, e.hash) for p, e in store.trees.walk(commit.tree) if not e.is_dir]


def run(
    store: Store,
    spec_dir: str | None,
    *,
    until_idle: bool,
    keep_services: bool,
    console: Console,
    stop: threading.Event,
    progress: scheduler.ProgressFactory | None = None,
    on_job: Callable[[scheduler.RanJob], None] | None = None,
    api: Api | None = None,
) -> None:
    store.require_writable()
    with (
        up_lock(store),
        api() if api else nullcontext(None) as address,
        daemon.published(store.root, address),
    ):
        _supervise(store, spec_dir, until_idle, keep_services, console, stop, progress, on_job)


def _supervise(
    store: Store,
    spec_dir: str | None,
    until_idle: bool,
    keep_services: bool,
    console: Console,
    stop: threading.Event,
    progress: scheduler.ProgressFactory | None,
    on_job: Callable[[scheduler.RanJob], None] | None,
) -> None:
    if spec_dir:
        apply_specs(store, spec_dir, console)
    supervisor = Supervisor(store, console, stop)
    try:
        while not stop.is_set():
            supervisor.step(progress, on_job)  # on_job reports each job as it ends
            if until_idle and supervisor.idle():
                if keep_services and supervisor.services:
                    console("up", "idle; services keep running (Ctrl-C to stop)")
                    until_idle = False
                    continue
                console("up", "idle: spouts finished and no job pending")
                break
            stop.wait(POLL_S)
    finally:
        supervisor.shutdown()
