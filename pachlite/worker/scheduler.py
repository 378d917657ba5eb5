"""Running the jobs that are ready, in DAG order, one scheduler per data root at a time.

The scheduler lock is an flock on `<root>/scheduler.lock`: the kernel drops it when its
process dies, so a job left RUNNING by a crash has no owner and is simply run again from the
start (a job resets its output commit first, so a rerun is clean).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pachlite.model import JobState
from pachlite.pfs.store import Store
from pachlite.pps.dag import upstream_first
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import pipelines as pipeline_table
from pachlite.worker import jobs
from pachlite.worker.lifecycle import JobLifecycle
from pachlite.worker.locks import SCHEDULER_LOCK

ProgressFactory = Callable[[str, str, int], "Callable[[int, int], None] | None"]


@dataclass(frozen=True)
class RanJob:
    pipeline: str
    job_id: str
    state: JobState


@contextmanager
def scheduler_lock(store: Store, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    path = store.root / SCHEDULER_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def pipeline_order(store: Store) -> list[str]:
    """Pipeline names, upstream first (by name within a round); a cycle is an error."""
    inputs = {p.name: p.spec.input_repos for p in pipeline_table.current(store.db)}
    return upstream_first({name: inputs[name] for name in sorted(inputs)})


def next_runnable(store: Store) -> int | None:
    """The first job, in DAG then commit order, whose inputs are all finished."""
    jobs.ensure_jobs(store)
    rank = {name: i for i, name in enumerate(pipeline_order(store))}
    candidates = job_table.open_jobs(store.db)
    for job in sorted(candidates, key=lambda j: rank.get(j.pipeline, 0)):
        if job.spec.kind != "batch":
            continue  # services run under `pachlite up`, which owns their jobs
        if job.output_finished is not None:
            # Someone finished the output commit by hand (finish commit --force).
            job_table.set_state(
                store.db, job.id, JobState.KILLED, "output commit finished outside the job"
            )
            continue
        if JobLifecycle.load(store, job.id).inputs_ready():
            return job.id
    return None


def run_pending(
    store: Store,
    *,
    progress: ProgressFactory | None = None,
    on_wait: Callable[[], None] | None = None,
    interrupted: Callable[[], bool] = lambda: False,
    on_done: Callable[[RanJob], None] | None = None,
) -> list[RanJob]:
    """Run every job that is ready, including those its own jobs make ready downstream."""
    ran: list[RanJob] = []
    store.require_writable()
    with scheduler_lock(store, on_wait):
        while not interrupted() and (job_row_id := next_runnable(store)) is not None:
            record = JobLifecycle.load(store, job_row_id)
            name, job_id = record.pipeline.name, record.job.job_id
            callback = progress(name, job_id, 0) if progress else None
            state = jobs.run_job(store, job_row_id, callback, interrupted)
            ran.append(RanJob(name, job_id, state))
            if on_done:
                on_done(ran[-1])
    return ran
