"""Looking at and steering jobs and datums: list, inspect, wait, stop, restart, logs, run cron."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from pachlite.errors import Conflict, InvalidArgument, NotFound, Timeout, did_you_mean
from pachlite.model import CommitInfo, DatumInfo, JobInfo, JobState, LogLine
from pachlite.pfs import commits, provenance
from pachlite.pfs.objects import EMPTY_HASH
from pachlite.pfs.refs import commit_by_row_id
from pachlite.pfs.store import Store
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb.records import DatumRecord, PipelineJob
from pachlite.uri import CommitRef


def _job_info(store: Store, found: PipelineJob) -> JobInfo:
    job = found.job
    output = commit_by_row_id(store, job.output_commit) if job.output_commit else None
    inputs = provenance.upstream(store, output) if output is not None else []
    spec = found.spec
    return JobInfo(
        pipeline=found.pipeline,
        id=job.job_id,
        state=job.state,
        reason=job.reason,
        version=job.version,
        spec_hash=found.spec_hash,
        output_commit=output.name if output else None,
        input_commits=[c.name for c in inputs],
        created=job.created,
        started=job.started,
        finished=job.finished,
        data_total=job.data_total,
        data_processed=job.data_processed,
        data_skipped=job.data_skipped,
        data_failed=job.data_failed,
        data_recovered=job.data_recovered,
        image=spec.transform.image or "",
        git_commit=job.git_commit,
    )


def list_jobs(
    store: Store, *, pipeline: str | None = None, job_id: str | None = None
) -> list[JobInfo]:
    from pachlite.worker import jobs
    from pachlite.worker.pipelines import require_pipeline

    jobs.ensure_jobs(store)
    if pipeline:
        require_pipeline(store, pipeline)
    found = job_table.listing(store.db, pipeline=pipeline or None, job_id=job_id or None)
    return [_job_info(store, j) for j in found]


def find_job(store: Store, pipeline: str, job_id: str) -> PipelineJob:
    from pachlite.worker import jobs
    from pachlite.worker.pipelines import require_pipeline

    jobs.ensure_jobs(store)
    require_pipeline(store, pipeline)
    found = job_table.find(store.db, pipeline, job_id)
    if found is None:
        ids = job_table.ids_of(store.db, pipeline)
        raise NotFound(
            f"job {pipeline}@{job_id} not found{did_you_mean(job_id, ids)}",
            f"see `pachlite list job -p {pipeline}`",
        )
    return found


def made_by(store: Store, info: CommitInfo) -> CommitInfo:
    """A commit with what made it, if a job did: the job, its pipeline version, spec hash,
    image and git commit."""
    found = job_table.of_output_commit(store.db, info.repo, info.id)
    if found is None:
        return info
    from dataclasses import replace  # here: light verbs that reach this module skip dataclasses

    return replace(
        info,
        job=f"{found.pipeline}@{found.job.job_id}",
        pipeline_version=found.job.version,
        spec_hash=found.spec_hash,
        image=(found.effective_spec.get("transform") or {}).get("image"),
        git_commit=found.job.git_commit,
    )


def parse_job(text: str) -> tuple[str, str]:
    pipeline, at, job_id = text.partition("@")
    if not at or not job_id:
        raise InvalidArgument(f"{text!r} is not a job", "write pipeline@job-id")
    return pipeline, job_id


def inspect_job(store: Store, pipeline: str, job_id: str) -> JobInfo:
    return _job_info(store, find_job(store, pipeline, job_id))


def wait_job(store: Store, pipeline: str, job_id: str, timeout: float | None = None) -> JobInfo:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        info = inspect_job(store, pipeline, job_id)
        if info.state.terminal:
            return info
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout(f"job {pipeline}@{job_id} is still {info.state}", "wait longer")
        time.sleep(0.1)


def stop_job(store: Store, pipeline: str, job_id: str) -> JobInfo:
    """Kill a job: a running one stops its datums; its output commit ends with an error."""
    with store.db.atomic():
        job = find_job(store, pipeline, job_id).job
        if job.state.terminal:
            raise Conflict(f"job {pipeline}@{job_id} already ended ({job.state})")
        job_table.set_state(store.db, job.id, JobState.KILLED, "job stopped")
        if job.state != JobState.RUNNING and job.output_commit is not None:
            # A running job closes its own commit.
            commits.close_commit(store, job.output_commit, error="job stopped")
    return inspect_job(store, pipeline, job_id)


def _datum_info(pipeline: str, job_id: str, datum: DatumRecord) -> DatumInfo:
    return DatumInfo(
        job=f"{pipeline}@{job_id}",
        id=datum.datum_id,
        state=datum.state,
        reason=datum.reason,
        hash=datum.hash,
        inputs=datum.items,
        outputs=list(datum.outputs),
        attempts=datum.attempts,
        started=datum.started,
        finished=datum.finished,
    )


def list_datums(store: Store, pipeline: str, job_id: str) -> list[DatumInfo]:
    from pachlite.ppsdb import datums as datum_table

    job = find_job(store, pipeline, job_id).job
    return [_datum_info(pipeline, job_id, d) for d in datum_table.of_job(store.db, job.id)]


def inspect_datum(store: Store, pipeline: str, job_id: str, datum_id: str) -> DatumInfo:
    from pachlite.ppsdb import datums as datum_table

    job = find_job(store, pipeline, job_id).job
    datum = datum_table.find(store.db, job.id, datum_id)
    if datum is None:
        raise NotFound(
            f"datum {datum_id} not found in job {pipeline}@{job_id}",
            f"see `pachlite list datum {pipeline}@{job_id}`",
        )
    return _datum_info(pipeline, job_id, datum)


def restart_datums(store: Store, pipeline: str, job_id: str, datum_ids: list[str]) -> str:
    """Process these datums again, in a new job (commit set) of the pipeline."""
    from pachlite.worker import jobs
    from pachlite.worker.pipelines import require_pipeline

    known = {d.id for d in list_datums(store, pipeline, job_id)}
    full = []
    for prefix in datum_ids:
        matches = [d for d in known if d.startswith(prefix)]
        if len(matches) != 1:
            raise NotFound(f"datum {prefix} is not (uniquely) in job {pipeline}@{job_id}")
        full.append(matches[0])
    found = require_pipeline(store, pipeline)
    with store.db.atomic():
        output = commits.start_auto_commit(store, pipeline, found.output_branch)
        jobs.ensure_jobs(store)
        job_table.set_forced(store.db, output.id, full)
    return output.commit_id


def logs(
    store: Store,
    *,
    pipeline: str | None = None,
    job_id: str | None = None,
    datum_id: str | None = None,
    after: int = 0,
) -> Iterator[tuple[int, LogLine]]:
    """Log lines of user code (id, line), oldest first; `after` continues a follow. Read a
    page at a time, so printing any number of lines takes constant memory."""
    from pachlite.worker.pipelines import require_pipeline

    if pipeline:
        require_pipeline(store, pipeline)  # an unknown name fails here, at once
    return _log_pages(store, pipeline or None, job_id or None, datum_id or None, after)


LOG_PAGE = 1000


def _log_pages(
    store: Store, pipeline: str | None, job_id: str | None, datum_id: str | None, after: int
) -> Iterator[tuple[int, LogLine]]:
    from pachlite.ppsdb import logs as log_table  # here: `list commit` reads job records only

    while True:
        page = log_table.page(
            store.db,
            pipeline=pipeline,
            job_id=job_id,
            datum_prefix=datum_id,
            after=after,
            limit=LOG_PAGE,
        )
        for r in page:
            yield r.id, LogLine(f"{r.pipeline}@{r.job_id}", r.datum_id, r.stream, r.time, r.line)
        if len(page) < LOG_PAGE:
            return
        after = page[-1].id


def run_cron(store: Store, pipeline: str, now: datetime | None = None) -> list[str]:
    """A tick stamped now for every cron input: an empty file named by the time
    (docs/semantics.md §2.8)."""
    from pachlite.pfs import files  # here: `list commit` reads job records only
    from pachlite.pps.cron import tick_name
    from pachlite.worker.pipelines import require_pipeline

    spec = require_pipeline(store, pipeline).spec
    moment = now or datetime.now(UTC)
    ticked = []
    for cron in spec.cron_inputs:
        ops: list[files.Op] = []
        if cron.overwrite:
            ops.append(files.Delete("/", recursive=True))
        store.objects.put_bytes(b"")
        ops.append(files.Put("/" + tick_name(moment), EMPTY_HASH, 0))
        commit = files.modify(store, CommitRef(cron.repo, branch=cron.branch), ops)
        ticked.append(commit.name)
    if not ticked:
        raise InvalidArgument(f"pipeline {pipeline!r} has no cron input")
    return ticked
