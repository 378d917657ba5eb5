"""The jobs table: one row per open AUTO commit on a pipeline's output branch, its state,
reason, timings and datum counters."""

from __future__ import annotations

import json
import time

from pachlite.model import DatumState, JobState
from pachlite.pfs.db import Database, Row
from pachlite.ppsdb.records import JobRecord, OpenJob, PipelineJob

WITH_SPEC = (
    "SELECT j.*, p.name AS pipeline, v.spec_hash, v.effective_spec FROM jobs j "
    "JOIN pipelines p ON p.id = j.pipeline_id "
    "JOIN pipeline_versions v ON v.pipeline_id = j.pipeline_id AND v.version = j.version"
)
TERMINAL = [str(s) for s in JobState if s.terminal]
COUNTERS = {
    DatumState.SUCCESS: "data_processed",
    DatumState.FAILED: "data_failed",
    DatumState.RECOVERED: "data_recovered",
}


def _record(row: Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        pipeline_id=row["pipeline_id"],
        job_id=row["job_id"],
        version=row["version"],
        output_commit=row["output_commit"],
        state=JobState(row["state"]),
        reason=row["reason"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        data_total=row["data_total"],
        data_processed=row["data_processed"],
        data_skipped=row["data_skipped"],
        data_failed=row["data_failed"],
        data_recovered=row["data_recovered"],
        git_commit=row["git_commit"],
        forced=tuple(json.loads(row["forced"])),
    )


def _with_spec(row: Row) -> PipelineJob:
    from pachlite.pps.pipeline_spec import load_spec  # yaml, jsonschema: when a spec is read

    stored = row["effective_spec"]
    return PipelineJob(
        _record(row), row["pipeline"], row["spec_hash"], json.loads(stored), load_spec(stored)
    )


# The open AUTO commits on pipelines' output branches: each is, or is about to be, a job.
_OPEN_OUTPUTS = """FROM pipelines p JOIN repos r ON r.name = p.name AND r.type = 'user'
           JOIN commits c ON c.repo_id = r.id
           WHERE c.origin = 'AUTO' AND c.finished IS NULL AND c.branch = p.output_branch"""


def ensure(db: Database) -> None:
    """A job row for every open AUTO commit on a pipeline's output branch (none are added on
    a read-only store: listing its jobs shows the ones it has). It looks before it writes,
    so `list job` and `inspect job` take no write lock when every job already has its row."""
    if db.read_only:
        return
    missing = db.one(
        f"SELECT 1 {_OPEN_OUTPUTS} "
        "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.output_commit = c.id) LIMIT 1"
    )
    if missing is None:
        return
    db.execute(
        "INSERT OR IGNORE INTO jobs (pipeline_id, job_id, version, output_commit, state, created) "
        f"SELECT p.id, c.commit_id, p.version, c.id, ?, ? {_OPEN_OUTPUTS}",
        (str(JobState.CREATED), time.time()),
    )


def get(db: Database, job_row_id: int) -> JobRecord:
    row = db.one("SELECT * FROM jobs WHERE id = ?", (job_row_id,))
    assert row is not None, f"job #{job_row_id} is missing"
    return _record(row)


def state(db: Database, job_row_id: int) -> JobState:
    return JobState(db.scalar("SELECT state FROM jobs WHERE id = ?", (job_row_id,)))


def find(db: Database, pipeline: str, job_id: str) -> PipelineJob | None:
    row = db.one(f"{WITH_SPEC} WHERE p.name = ? AND j.job_id = ?", (pipeline, job_id))
    return None if row is None else _with_spec(row)


def listing(
    db: Database, *, pipeline: str | None = None, job_id: str | None = None
) -> list[PipelineJob]:
    """Jobs, newest first, of one pipeline and/or with one ID if given."""
    where, params = filters(pipeline, job_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return [_with_spec(r) for r in db.all(f"{WITH_SPEC}{clause} ORDER BY j.id DESC", params)]


def filters(pipeline: str | None, job_id: str | None) -> tuple[list[str], list[str]]:
    """SQL conditions (on `p` pipelines and `j` jobs) for an optional pipeline and job ID,
    and their parameters."""
    where: list[str] = []
    params: list[str] = []
    if pipeline:
        where.append("p.name = ?")
        params.append(pipeline)
    if job_id:
        where.append("j.job_id = ?")
        params.append(job_id)
    return where, params


def ids_of(db: Database, pipeline: str) -> list[str]:
    """The job IDs of a pipeline."""
    return [
        r[0]
        for r in db.all(
            "SELECT j.job_id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE p.name = ?",
            (pipeline,),
        )
    ]


def of_output_commit(db: Database, repo: str, commit_id: str) -> PipelineJob | None:
    """The job whose output commit is `repo@commit_id`, if a job made it."""
    row = db.one(
        f"{WITH_SPEC} JOIN commits c ON c.id = j.output_commit "
        "JOIN repos r ON r.id = c.repo_id WHERE r.name = ? AND c.commit_id = ?",
        (repo, commit_id),
    )
    return None if row is None else _with_spec(row)


def last_state(db: Database, pipeline_id: int) -> str | None:
    """The state of a pipeline's newest job, if it has one."""
    value = db.scalar(
        "SELECT state FROM jobs WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1", (pipeline_id,)
    )
    return None if value is None else str(value)


def running_count(db: Database, pipeline_id: int) -> int:
    return int(
        db.scalar(
            "SELECT count(*) FROM jobs WHERE pipeline_id = ? AND state = ?",
            (pipeline_id, str(JobState.RUNNING)),
        )
    )


def open_jobs(db: Database) -> list[OpenJob]:
    """Jobs that have not ended, of pipelines that are not stopped, in output commit order."""
    from pachlite.pps.pipeline_spec import load_spec  # yaml, jsonschema: when a spec is read

    return [
        OpenJob(r["id"], r["name"], r["output_finished"], load_spec(r["effective_spec"]))
        for r in db.all(
            "SELECT j.id, p.name, c.finished AS output_finished, v.effective_spec "
            "FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
            "JOIN pipeline_versions v ON v.pipeline_id = j.pipeline_id AND v.version = j.version "
            "LEFT JOIN commits c ON c.id = j.output_commit "
            "WHERE p.stopped = 0 AND j.state NOT IN (?, ?, ?, ?) ORDER BY j.output_commit",
            TERMINAL,
        )
    ]


def open_of(db: Database, pipeline_id: int) -> list[int]:
    """A pipeline's jobs that have not ended, newest output commit first (row IDs)."""
    rows = db.all(
        "SELECT id FROM jobs WHERE pipeline_id = ? AND state NOT IN (?, ?, ?, ?) "
        "ORDER BY output_commit DESC",
        [pipeline_id, *TERMINAL],
    )
    return [int(r["id"]) for r in rows]


def last_succeeded(db: Database, pipeline_id: int) -> int | None:
    """A pipeline's successful job with the newest output commit (row ID)."""
    value = db.scalar(
        "SELECT id FROM jobs WHERE pipeline_id = ? AND state = ? "
        "ORDER BY output_commit DESC LIMIT 1",
        (pipeline_id, str(JobState.SUCCESS)),
    )
    return None if value is None else int(value)


def succeeded_on(db: Database, pipeline_id: int, commit_row_id: int) -> JobRecord | None:
    """The pipeline's successful job whose output commit is this one."""
    row = db.one(
        "SELECT * FROM jobs WHERE output_commit = ? AND pipeline_id = ? AND state = ?",
        (commit_row_id, pipeline_id, str(JobState.SUCCESS)),
    )
    return None if row is None else _record(row)


def salt(db: Database, job_row_id: int) -> str:
    """The salt of the job's pipeline: part of every datum hash."""
    return str(
        db.scalar(
            "SELECT p.salt FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = ?",
            (job_row_id,),
        )
    )


def set_state(db: Database, job_row_id: int, state: JobState, reason: str | None = None) -> None:
    """A new state; a terminal one stamps the finish time. The reason stays unless given."""
    finished = time.time() if state.terminal else None
    db.execute(
        "UPDATE jobs SET state = ?, reason = COALESCE(?, reason), "
        "finished = COALESCE(?, finished) WHERE id = ?",
        (str(state), reason, finished, job_row_id),
    )


def set_finished(db: Database, job_row_id: int) -> None:
    """Stamp the finish time and keep the state (a job stopped while it ran)."""
    db.execute("UPDATE jobs SET finished = ? WHERE id = ?", (time.time(), job_row_id))


def begin(db: Database, job_row_id: int, *, git_commit: str | None, data_total: int) -> None:
    """RUNNING from now, its counters zeroed."""
    db.execute(
        "UPDATE jobs SET state = ?, started = ?, git_commit = ?, data_total = ?, "
        "data_processed = 0, data_skipped = 0, data_failed = 0, data_recovered = 0 WHERE id = ?",
        (str(JobState.RUNNING), time.time(), git_commit, data_total, job_row_id),
    )


def set_totals(db: Database, job_row_id: int, *, total: int, skipped: int) -> None:
    db.execute(
        "UPDATE jobs SET data_total = ?, data_skipped = ? WHERE id = ?",
        (total, skipped, job_row_id),
    )


def count_datum(db: Database, job_row_id: int, state: DatumState) -> None:
    """One more datum that ended SUCCESS, FAILED or RECOVERED."""
    column = COUNTERS[state]
    db.execute(f"UPDATE jobs SET {column} = {column} + 1 WHERE id = ?", (job_row_id,))


def set_single_datum(db: Database, job_row_id: int, state: DatumState) -> None:
    """A job of one datum (a service's) that ended in `state`."""
    column = COUNTERS[state]
    db.execute(f"UPDATE jobs SET {column} = 1, data_total = 1 WHERE id = ?", (job_row_id,))


def set_forced(db: Database, output_commit: int, datum_ids: list[str]) -> None:
    """Datums the job of this output commit processes again whatever their hash."""
    db.execute(
        "UPDATE jobs SET forced = ? WHERE output_commit = ?", (json.dumps(datum_ids), output_commit)
    )
