"""Looking at and steering jobs and datums: list, inspect, wait, stop, restart, logs, run cron."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pachlite.errors import Conflict, InvalidArgument, NotFound, Timeout, did_you_mean
from pachlite.model import DatumInfo, DatumState, JobInfo, JobState, LogLine
from pachlite.pfs import commits, files, provenance
from pachlite.pfs.db import Row
from pachlite.pfs.objects import EMPTY_HASH
from pachlite.pfs.refs import commit_by_row_id
from pachlite.pfs.store import Store
from pachlite.pps.cron import tick_name
from pachlite.pps.validate import iter_inputs
from pachlite.uri import CommitRef
from pachlite.worker import jobs
from pachlite.worker.pipelines import require_pipeline

JOB_SELECT = (
    "SELECT j.*, p.name AS pipeline, v.spec_hash, v.effective_spec FROM jobs j "
    "JOIN pipelines p ON p.id = j.pipeline_id "
    "JOIN pipeline_versions v ON v.pipeline_id = j.pipeline_id AND v.version = j.version"
)


def _job_info(store: Store, row: Row) -> JobInfo:
    output = commit_by_row_id(store, row["output_commit"]) if row["output_commit"] else None
    inputs = provenance.upstream(store, output) if output is not None else []
    spec = json.loads(row["effective_spec"])
    return JobInfo(
        pipeline=row["pipeline"],
        id=row["job_id"],
        state=JobState(row["state"]),
        reason=row["reason"],
        version=row["version"],
        spec_hash=row["spec_hash"],
        output_commit=output.name if output else None,
        input_commits=[c.name for c in inputs],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        data_total=row["data_total"],
        data_processed=row["data_processed"],
        data_skipped=row["data_skipped"],
        data_failed=row["data_failed"],
        data_recovered=row["data_recovered"],
        image=(spec.get("transform") or {}).get("image") or "",
        git_commit=row["git_commit"],
    )


def _job_filters(
    store: Store, pipeline: str | None, job_id: str | None
) -> tuple[list[str], list[Any]]:
    """SQL conditions (on `p` pipelines and `j` jobs) for an optional pipeline and job ID."""
    where: list[str] = []
    params: list[Any] = []
    if pipeline:
        require_pipeline(store, pipeline)
        where.append("p.name = ?")
        params.append(pipeline)
    if job_id:
        where.append("j.job_id = ?")
        params.append(job_id)
    return where, params


def list_jobs(
    store: Store, *, pipeline: str | None = None, job_id: str | None = None
) -> list[JobInfo]:
    jobs.ensure_jobs(store)
    where, params = _job_filters(store, pipeline, job_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = store.db.all(f"{JOB_SELECT}{clause} ORDER BY j.id DESC", params)
    return [_job_info(store, r) for r in rows]


def job_row(store: Store, pipeline: str, job_id: str) -> Row:
    jobs.ensure_jobs(store)
    require_pipeline(store, pipeline)
    row = store.db.one(f"{JOB_SELECT} WHERE p.name = ? AND j.job_id = ?", (pipeline, job_id))
    if row is None:
        ids = [
            r[0]
            for r in store.db.all(
                "SELECT j.job_id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
                "WHERE p.name = ?",
                (pipeline,),
            )
        ]
        raise NotFound(
            f"job {pipeline}@{job_id} not found{did_you_mean(job_id, ids)}",
            f"see `pachlite list job -p {pipeline}`",
        )
    return row


def parse_job(text: str) -> tuple[str, str]:
    pipeline, at, job_id = text.partition("@")
    if not at or not job_id:
        raise InvalidArgument(f"{text!r} is not a job", "write pipeline@job-id")
    return pipeline, job_id


def inspect_job(store: Store, pipeline: str, job_id: str) -> JobInfo:
    return _job_info(store, job_row(store, pipeline, job_id))


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
        row = job_row(store, pipeline, job_id)
        if JobState(row["state"]).terminal:
            raise Conflict(f"job {pipeline}@{job_id} already ended ({row['state']})")
        jobs.set_state(store, row["id"], JobState.KILLED, "job stopped")
        if row["state"] != str(JobState.RUNNING):  # a running job closes its own commit
            commits.close_commit(store, row["output_commit"], error="job stopped")
    return inspect_job(store, pipeline, job_id)


def _datum_info(pipeline: str, job_id: str, row: Row) -> DatumInfo:
    return DatumInfo(
        job=f"{pipeline}@{job_id}",
        id=row["datum_id"],
        state=DatumState(row["state"]),
        reason=row["reason"],
        hash=row["hash"],
        inputs=json.loads(row["items"]),
        outputs=json.loads(row["outputs"]),
        attempts=row["attempts"],
        started=row["started"],
        finished=row["finished"],
    )


def list_datums(store: Store, pipeline: str, job_id: str) -> list[DatumInfo]:
    row = job_row(store, pipeline, job_id)
    datums = store.db.all("SELECT * FROM datums WHERE job = ? ORDER BY rowid", (row["id"],))
    return [_datum_info(pipeline, job_id, d) for d in datums]


def inspect_datum(store: Store, pipeline: str, job_id: str, datum_id: str) -> DatumInfo:
    row = job_row(store, pipeline, job_id)
    datum = store.db.one(
        "SELECT * FROM datums WHERE job = ? AND datum_id LIKE ?", (row["id"], f"{datum_id}%")
    )
    if datum is None:
        raise NotFound(
            f"datum {datum_id} not found in job {pipeline}@{job_id}",
            f"see `pachlite list datum {pipeline}@{job_id}`",
        )
    return _datum_info(pipeline, job_id, datum)


def restart_datums(store: Store, pipeline: str, job_id: str, datum_ids: list[str]) -> str:
    """Process these datums again, in a new job (commit set) of the pipeline."""
    known = {d.id for d in list_datums(store, pipeline, job_id)}
    full = []
    for prefix in datum_ids:
        matches = [d for d in known if d.startswith(prefix)]
        if len(matches) != 1:
            raise NotFound(f"datum {prefix} is not (uniquely) in job {pipeline}@{job_id}")
        full.append(matches[0])
    row = require_pipeline(store, pipeline)
    with store.db.atomic():
        output = commits.start_auto_commit(store, pipeline, row["output_branch"])
        jobs.ensure_jobs(store)
        store.db.execute(
            "UPDATE jobs SET forced = ? WHERE output_commit = ?", (json.dumps(full), output.id)
        )
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
    where, params = _job_filters(store, pipeline, job_id)  # unknown names fail here, at once
    if datum_id:
        where.append("l.datum_id LIKE ?")
        params.append(f"{datum_id}%")
    where.append("l.id > ?")
    sql = (
        "SELECT l.*, p.name AS pipeline, j.job_id FROM logs l JOIN jobs j ON j.id = l.job "
        f"JOIN pipelines p ON p.id = j.pipeline_id WHERE {' AND '.join(where)} "
        f"ORDER BY l.id LIMIT {LOG_PAGE}"
    )
    return _log_pages(store, sql, params, after)


LOG_PAGE = 1000


def _log_pages(
    store: Store, sql: str, params: list[Any], after: int
) -> Iterator[tuple[int, LogLine]]:
    while True:
        rows = store.db.all(sql, [*params, after])
        for r in rows:
            yield (
                r["id"],
                LogLine(
                    f"{r['pipeline']}@{r['job_id']}",
                    r["datum_id"],
                    r["stream"],
                    r["time"],
                    r["line"],
                ),
            )
        if len(rows) < LOG_PAGE:
            return
        after = rows[-1]["id"]


def run_cron(store: Store, pipeline: str, now: datetime | None = None) -> list[str]:
    """A tick stamped now for every cron input: an empty file named by the time (§2.8)."""
    row = require_pipeline(store, pipeline)
    spec = json.loads(row["effective_spec"])
    moment = now or datetime.now(UTC)
    ticked = []
    for kind, body in iter_inputs(spec.get("input")):
        if kind != "cron":
            continue
        ops: list[files.Op] = []
        if body.get("overwrite"):
            ops.append(files.Delete("/", recursive=True))
        store.objects.put_bytes(b"")
        ops.append(files.Put("/" + tick_name(moment), EMPTY_HASH, 0))
        commit = files.modify(store, CommitRef(body["repo"], branch="master"), ops)
        ticked.append(commit.name)
    if not ticked:
        raise InvalidArgument(f"pipeline {pipeline!r} has no cron input")
    return ticked
