"""Jobs: one per open AUTO commit on an output branch (docs/semantics.md §4.1, §2.6, §3.3).

A job waits for its input commits, becomes UNRUNNABLE if one of them failed, and otherwise
resets its output to the last successful job's output, deletes what removed and changed
datums wrote, runs the datums that need it (new first, then changed), refuses two datums
writing one path, and merges the rest in one transaction that also finishes the commit.

Whatever goes wrong inside a job ends it FAILURE with the reason, its output commit finished
with that error: no exception leaves a job RUNNING for the next command to trip over. Only a
process that dies (SIGKILL, power) leaves one, and the next run redoes it from the start.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pachlite.failpoints import failpoint
from pachlite.model import DatumState, JobState
from pachlite.paths import split
from pachlite.pfs.files import Put
from pachlite.pfs.localfs import remove_tree
from pachlite.pfs.store import Store
from pachlite.pfs.tree import Entry
from pachlite.pps.datums import Datum, items_json
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.pps.plan import JobPlan, Previous, plan_stream
from pachlite.ppsdb import datums as datum_table
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb.records import JobRecord
from pachlite.worker import datum_records, process
from pachlite.worker.datum import DatumResult, failure_reason, run_datum
from pachlite.worker.lifecycle import JobLifecycle
from pachlite.worker.spool import DatumSpool

Progress = Callable[[int, int], None]  # (datums done, datums total)


def ensure_jobs(store: Store) -> None:
    """A job row for every open AUTO commit on a pipeline's output branch (none are added on
    a read-only store: listing its jobs shows the ones it has)."""
    job_table.ensure(store.db)


def run_job(
    store: Store,
    job_row_id: int,
    progress: Progress | None = None,
    interrupted: Callable[[], bool] = lambda: False,
    run: Runner = run_datum,
) -> JobState:
    """Run one job to a terminal state; `interrupted` (Ctrl-C) ends it KILLED. `run` runs one
    datum (`bench/million.py` passes one that skips the user's process)."""
    job = JobLifecycle.load(store, job_row_id)
    inputs = job.inputs()
    failed_upstream = sorted({c.repo for c in inputs if c.error})
    if failed_upstream:
        reason = "unrunnable because the following upstream pipelines failed: " + ", ".join(
            failed_upstream
        )
        return job.finish(JobState.UNRUNNABLE, reason)
    job.begin(git_commit=process.git_commit(job.pipeline.workdir))
    # A rerun after a crash starts clean: no scratch from the killed run.
    remove_tree(job.scratch)
    try:
        base_job, base_tree = job.reset_output()
        with _bulk():
            plan = _plan(store, job, job.datum_stream(inputs), base_job, job.scratch / "plan")
        job_table.set_totals(store.db, job_row_id, total=plan.total, skipped=plan.skipped)
        deadline = _deadline(job.spec)

        def should_stop() -> bool:
            if interrupted() or (deadline is not None and time.monotonic() > deadline):
                return True
            return job.state() == JobState.KILLED

        ran = _run_phases(store, job, plan, should_stop, progress, run)
        failpoint("job.datums-done")  # every datum ran and is recorded, no output merged yet
        with _bulk():
            return _finish(store, job, base_tree, plan, ran, deadline, interrupted())
    except Exception as exc:
        # The output commit is finished with the reason (the last successful content, as
        # the job reset it). A store that cannot record even this raises.
        return job.finish(JobState.FAILURE, failure_reason(exc))
    finally:
        remove_tree(job.scratch)
        with contextlib.suppress(OSError):  # no other job of this pipeline runs now
            job.scratch.parent.rmdir()


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a job plans or records its datums: they make a
    million objects that reference counting frees, and each full collection would walk them
    all again (a third of an all-skipped job's time at 100,000 datums)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan(
    store: Store,
    job: JobLifecycle,
    datums: Iterable[Datum],
    base_job: JobRecord | None,
    spill: Path,
) -> JobPlan:
    """The plan, streamed (`pps.plan.plan_stream`): each batch of datums looked up among the
    base job's outcomes by ID, and the skipped ones' rows written as they are found, in one
    transaction (one per batch would rewrite the datums index, whose IDs are random, at
    every commit). They are this job's rows from now on; a rerun after a crash
    clears them (`JobLifecycle.begin`), and every way a job ends keeps them, as it keeps its
    skipped datums (docs/semantics.md §2.6). The datums to run are spooled to `spill` past
    `spool.IN_MEMORY`."""
    skipped, success = str(DatumState.SKIPPED), str(DatumState.SUCCESS)
    forced = frozenset(job.job.forced)

    def lookup(ids: Sequence[str]) -> dict[str, Previous]:
        found: dict[str, Previous] = {}
        if base_job is None:
            return found
        for datum_id, digest, state, outputs in datum_table.outcomes_of(store.db, base_job.id, ids):
            if datum_id in forced:
                found[datum_id] = Previous(datum_id, "", "FORCED", outputs)
            else:
                state = success if state == skipped else sys.intern(state)
                found[datum_id] = Previous(datum_id, digest, state, outputs)
        return found

    def record(pairs: Sequence[tuple[Datum, Previous]]) -> None:
        rows = ((d.id, prev.hash, items_json(d.items), prev.outputs) for d, prev in pairs)
        datum_table.record_skipped(store.db, job.id, rows)

    def removed(matched: int, changed: frozenset[str]) -> Iterator[Previous]:
        # Only when the new job lacks some of the base's datums: those it has are either
        # recorded as skipped by now, or changed (held).
        if base_job is None or matched == datum_table.count(store.db, base_job.id):
            return
        missing = datum_table.outcomes_missing_from(store.db, base_job.id, job.id)
        for datum_id, digest, state, outputs in missing:
            if datum_id not in changed:
                yield Previous(datum_id, digest, state, outputs)

    no_skip = job.spec.reprocess_spec == "every_job"
    with store.db.atomic(), _page_cache(store, PLAN_CACHE_KIB):
        return plan_stream(
            datums,
            job.pipeline.salt,
            lookup,
            record,
            removed,
            no_skip=no_skip,
            hold=lambda: DatumSpool(spill),
        )


# SQLite's page cache while planning (the default is 2 MiB): the lookups and the inserts of
# the skipped rows go by datum ID, which is random, over an index of ~100 MB per million
# datums. 128 MiB took the all-skipped job at a million from 65 s to 56 s.
PLAN_CACHE_KIB = 128 * 1024


@contextlib.contextmanager
def _page_cache(store: Store, kib: int) -> Iterator[None]:
    """This connection's page cache at `kib` for the block, as it was after."""
    row = store.db.one("PRAGMA cache_size")
    before = int(row[0]) if row is not None else -2000
    store.db.execute(f"PRAGMA cache_size=-{kib:d}")
    try:
        yield
    finally:
        store.db.execute(f"PRAGMA cache_size={before:d}")


@dataclass(slots=True)
class Ran:
    """What a job keeps of the datums that ran, once their rows, counters and logs are
    written: each one's outputs (to check for collisions, and to merge if it succeeded), and
    the first failure. Not the datums nor their results: a first job over a million datums
    would hold a million of each."""

    outputs: list[tuple[str, list[Put], bool]] = field(default_factory=list)  # ID, puts, merged
    failed: tuple[str, str | None] | None = None  # the first failed datum's ID and reason

    def add(self, result: DatumResult) -> None:
        if result.state == DatumState.FAILED and self.failed is None:
            self.failed = (result.datum.id, result.reason)
        if result.state in (DatumState.SUCCESS, DatumState.RECOVERED) and result.outputs:
            merged = result.state == DatumState.SUCCESS
            self.outputs.append((result.datum.id, result.outputs, merged))

    def take_puts(self) -> Iterator[Put]:
        """The puts to merge, each datum's let go once handed over (last datum first: the
        datums' paths are distinct by now, so the order does not change the tree)."""
        while self.outputs:
            _, puts, merged = self.outputs.pop()
            if merged:
                yield from puts


Runner = Callable[..., DatumResult]  # run_datum's signature: (ctx, datum, *, should_stop)

# The most datums submitted to a job's pool and not yet taken back: results are taken in
# order, so this also bounds how far the workers run ahead of one slow datum.
WINDOW = 1024


def _run_phases(
    store: Store,
    job: JobLifecycle,
    plan: JobPlan,
    should_stop: Callable[[], bool],
    progress: Progress | None,
    run: Runner = run_datum,
) -> Ran:
    ctx = job.datum_context(
        workdir=job.pipeline.workdir, extra_env={"PPS_SPEC_COMMIT": job.spec_commit}
    )
    workers = max(1, job.spec.parallelism)
    done = plan.skipped
    ran = Ran()
    if progress:
        progress(done, plan.total)
    # Phase 1: new datums; phase 2 (only if phase 1 succeeded): changed datums.
    with datum_records.Progress(store, job.id) as recorded:
        for phase in (plan.new, plan.changed):
            if not phase or should_stop():
                continue
            with ThreadPoolExecutor(max_workers=workers) as pool:
                submit = functools.partial(pool.submit, run, ctx, should_stop=should_stop)
                for result in _in_order(submit, phase):
                    ran.add(result)
                    recorded.add(result)
                    done += 1
                    if progress:
                        progress(done, plan.total)
            if ran.failed is not None:
                break
    return ran


def _in_order(
    submit: Callable[[Datum], Future[DatumResult]], datums: Iterable[Datum]
) -> Iterator[DatumResult]:
    """Each datum's result, in order, with at most WINDOW datums submitted ahead."""
    pending: deque[Future[DatumResult]] = deque()
    for datum in datums:
        pending.append(submit(datum))
        if len(pending) >= WINDOW:
            yield _wait_awake(pending.popleft())
    while pending:
        yield _wait_awake(pending.popleft())


def _wait_awake(future: Future[DatumResult]) -> DatumResult:
    """The datum's result, waited for in short steps: Python runs signal handlers (Ctrl-C,
    SIGTERM under `pachlite up`) only when the main thread runs, and a signal the kernel
    hands to another thread would otherwise wait for the datum to end."""
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            continue


def _collisions(owners: SkippedOwners, ran: Ran, kept: Callable[[str], Entry | None]) -> str | None:
    """Pachyderm refuses one path from two datums, and a path both file and directory.

    Among the datums that ran, every path is compared. A skipped datum's outputs are those
    the base job merged (and checked): `kept` looks a path up among them (the base output
    less what this job deletes), and only a path found there sends us to the skipped datums'
    rows (already written by the planner) to name the one that owns it. A job that skips a
    million datums decodes none of their outputs unless one collides.
    """
    owner: dict[str, str] = {}
    for datum_id, puts, _ in ran.outputs:
        for put in puts:
            other = owner.get(put.path) or _skipped_owner(owners, put.path, kept)
            if other is not None and other != datum_id:
                return (
                    f"duplicate path output by different datums: {put.path} is written by "
                    f"datum {other} and datum {datum_id}"
                )
            owner[put.path] = datum_id
    for path, datum_id in owner.items():
        parts = split(path)
        for depth in range(1, len(parts)):
            prefix = "/" + "/".join(parts[:depth])
            file_owner = owner.get(prefix) or _skipped_owner(owners, prefix, kept)
            if file_owner is not None:
                return (
                    f"file / directory path collision: {prefix} is a file of datum "
                    f"{file_owner} and a directory of datum {datum_id}"
                )
        below = _skipped_owner_below(owners, path, kept)
        if below is not None:
            return (
                f"file / directory path collision: {path} is a file of datum "
                f"{datum_id} and a directory of datum {below}"
            )
    return None


# (ID, outputs) of this job's skipped datums whose stored outputs mention the text.
SkippedOwners = Callable[[str], Iterator[tuple[str, Sequence[str]]]]


def _skipped_owner(
    owners: SkippedOwners, path: str, kept: Callable[[str], Entry | None]
) -> str | None:
    """The skipped datum that wrote the file `path`, if one did."""
    entry = kept(path)
    if entry is None or entry.is_dir:
        return None
    return next((i for i, outputs in owners(json.dumps(path)) if path in outputs), None)


def _skipped_owner_below(
    owners: SkippedOwners, path: str, kept: Callable[[str], Entry | None]
) -> str | None:
    """A skipped datum that wrote a file under the directory `path`, if one did."""
    entry = kept(path)
    if entry is None or not entry.is_dir:
        return None
    inside = path.rstrip("/") + "/"
    return next(
        (
            i
            for i, outputs in owners(json.dumps(inside)[:-1])  # '"/dir/': the start of a path
            if any(p.startswith(inside) for p in outputs)
        ),
        None,
    )


def _finish(
    store: Store,
    job: JobLifecycle,
    base_tree: str,
    plan: JobPlan,
    ran: Ran,
    deadline: float | None,
    interrupted: bool,
) -> JobState:
    """The job's end, after its datums' rows: the outputs merged if it succeeded, and the
    output commit finished, in one transaction."""
    killed = job.state() == JobState.KILLED
    timed_out = deadline is not None and time.monotonic() > deadline
    reason = None
    state = JobState.SUCCESS
    if interrupted:
        state, reason = JobState.KILLED, "interrupted: pachlite was stopped"
    elif killed or timed_out:
        state, reason = JobState.KILLED, ("job timed out" if timed_out else "job stopped")
    elif ran.failed is not None:
        failed_id, failed_reason = ran.failed
        state, reason = JobState.FAILURE, f"datum {failed_id} failed: {failed_reason}"
    else:
        owners = functools.partial(datum_table.skipped_mentioning, store.db, job.id)
        reason = _collisions(owners, ran, _kept(store, base_tree, plan))
        if reason:
            state = JobState.FAILURE
    with store.db.atomic():
        if state == JobState.SUCCESS:
            job.merge(base_tree, ran.take_puts(), deletes=plan.outputs_to_delete)
            failpoint("job.merge")  # outputs merged, nothing committed: the rerun redoes it
        return job.finish(state, reason, keep_state=killed)


def _kept(store: Store, base_tree: str, plan: JobPlan) -> Callable[[str], Entry | None]:
    """A path of the base output that this job keeps (deleted outputs are gone)."""
    deleted = set(plan.outputs_to_delete)

    def lookup(path: str) -> Entry | None:
        return None if path in deleted else store.trees.lookup(base_tree, path)

    return lookup


def _deadline(spec: PipelineSpec) -> float | None:
    seconds = spec.job_timeout
    return None if seconds is None else time.monotonic() + seconds
