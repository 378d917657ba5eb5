"""Running the jobs that are ready, in DAG order, one scheduler per data root at a time.

Jobs of different pipelines may run at the same time (PACHLITE_PARALLEL_JOBS, default 1), as
each Pachyderm pipeline has its own workers; the jobs of one pipeline run one at a time in
output commit order, as a Pachyderm pipeline's are (docs/semantics.md §4.1, §5.2): a job's
base is its pipeline's previous job, so it waits for it. Jobs of one commit set (one job ID,
docs/semantics.md §5.2) may run together, e.g. two pipelines reading one upstream commit: a
datum's scratch folder is `scratch/<project>/<pipeline>/<job ID>/...`, its pipeline's own.
Each concurrent job runs in a thread
with its own `Store` (its own SQLite connection); the user code runs in subprocesses, so the
threads mostly wait.

The scheduler lock is an flock on `<root>/scheduler.lock`: the kernel drops it when its
process dies, so a job left RUNNING by a crash has no owner and is simply run again from the
start (a job resets its output commit first, so a rerun is clean).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass

from pachlite.errors import InvalidArgument
from pachlite.model import JobState
from pachlite.pfs.store import Store
from pachlite.pps.dag import upstream_first
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import pipelines as pipeline_table
from pachlite.worker import jobs
from pachlite.worker.lifecycle import JobLifecycle
from pachlite.worker.locks import SCHEDULER_LOCK

ProgressFactory = Callable[[str, str, int], "Callable[[int, int], None] | None"]

PARALLEL_ENV = "PACHLITE_PARALLEL_JOBS"


def parallel_jobs(env: dict[str, str] | None = None) -> int:
    """How many jobs of different pipelines may run at once: PACHLITE_PARALLEL_JOBS, else 1."""
    value = (os.environ if env is None else env).get(PARALLEL_ENV, "").strip()
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise InvalidArgument(
            f"{PARALLEL_ENV} is {value!r}, not a whole number of jobs (1 or more)",
            f"set {PARALLEL_ENV}=1 to run one job at a time",
        )
    return int(value)


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


def next_runnable(store: Store, busy: Collection[str] = ()) -> int | None:
    """The first job, in DAG then commit order, whose inputs are all finished: the first open
    job of its pipeline, of a pipeline not in `busy` (those running a job now)."""
    jobs.ensure_jobs(store)
    rank = {name: i for i, name in enumerate(pipeline_order(store))}
    candidates = job_table.open_jobs(store.db)
    seen: set[str] = set()  # pipelines whose first open job was looked at
    for job in sorted(candidates, key=lambda j: rank.get(j.pipeline, 0)):
        if job.spec.kind != "batch":
            continue  # services run under `pachlite up`, which owns their jobs
        if job.pipeline in busy or job.pipeline in seen:
            continue  # one job of a pipeline at a time, in output commit order
        if job.output_finished is not None:
            # Someone finished the output commit by hand (finish commit --force).
            job_table.set_state(
                store.db, job.id, JobState.KILLED, "output commit finished outside the job"
            )
            continue
        seen.add(job.pipeline)
        record = JobLifecycle.load(store, job.id)
        if record.inputs_ready():
            return job.id
    return None


def run_pending(
    store: Store,
    *,
    progress: ProgressFactory | None = None,
    on_wait: Callable[[], None] | None = None,
    interrupted: Callable[[], bool] = lambda: False,
    on_done: Callable[[RanJob], None] | None = None,
    parallel: int | None = None,
) -> list[RanJob]:
    """Run every job that is ready, including those its own jobs make ready downstream;
    up to `parallel` (default: PACHLITE_PARALLEL_JOBS) of different pipelines at once."""
    ran: list[RanJob] = []
    store.require_writable()
    workers = parallel_jobs() if parallel is None else parallel
    with scheduler_lock(store, on_wait):
        if workers <= 1:
            while not interrupted() and (job_row_id := next_runnable(store)) is not None:
                ran.append(_run_one(store, job_row_id, progress, interrupted))
                if on_done:
                    on_done(ran[-1])
            return ran
        running: dict[Future[RanJob], str] = {}  # -> its pipeline
        with ThreadPoolExecutor(workers, thread_name_prefix="pachlite-job") as pool:
            while True:
                while len(running) < workers and not interrupted():
                    job_row_id = next_runnable(store, busy=set(running.values()))
                    if job_row_id is None:
                        break
                    record = JobLifecycle.load(store, job_row_id)
                    future = pool.submit(_run_apart, store, job_row_id, progress, interrupted)
                    running[future] = record.pipeline.name
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    del running[future]
                    ran.append(future.result())  # an engine error ends the run, as it did
                    if on_done:
                        on_done(ran[-1])
    return ran


def _run_one(
    store: Store,
    job_row_id: int,
    progress: ProgressFactory | None,
    interrupted: Callable[[], bool],
) -> RanJob:
    record = JobLifecycle.load(store, job_row_id)
    name, job_id = record.pipeline.name, record.job.job_id
    callback = progress(name, job_id, 0) if progress else None
    state = jobs.run_job(store, job_row_id, callback, interrupted)
    return RanJob(name, job_id, state)


def _run_apart(
    store: Store,
    job_row_id: int,
    progress: ProgressFactory | None,
    interrupted: Callable[[], bool],
) -> RanJob:
    """`_run_one` in a worker thread, on a Store of its own (a connection per thread)."""
    own = Store(store.root)
    try:
        return _run_one(own, job_row_id, progress, interrupted)
    finally:
        own.close()
