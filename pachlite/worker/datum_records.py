"""What a job records of its datums: their rows (state, hash, outputs, attempts), their
counters on the job, and their capped logs, each stored as the datum ends."""

from __future__ import annotations

from pachlite.model import DatumState
from pachlite.pfs.store import Store
from pachlite.pps.datums import items_json
from pachlite.pps.plan import JobPlan
from pachlite.ppsdb import datums as datum_table
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import logs as log_table
from pachlite.ppsdb.records import DatumRecord
from pachlite.worker.datum import DatumResult


def store_logs(store: Store, job_row_id: int, result: DatumResult) -> None:
    """A datum's (capped) log, stored as it ends: memory holds the running datums' logs only."""
    log_table.add(store.db, job_row_id, result.datum.id, result.logs)
    result.logs = []


def count(store: Store, job_row_id: int, result: DatumResult) -> None:
    job_table.count_datum(store.db, job_row_id, result.state)


def record_datums(store: Store, job_id: int, plan: JobPlan, results: list[DatumResult]) -> None:
    """Every datum of the job: the skipped ones first (their outputs copied as the base stored
    them), then those that ran; written a batch at a time as they are made."""
    datum_table.record_skipped(
        store.db,
        job_id,
        ((d.id, prev.hash, items_json(d.items), prev.outputs) for d, prev in plan.skipped),
    )
    salt = job_table.salt(store.db, job_id)
    datum_table.record(store.db, (_record(salt, job_id, r) for r in results))


def _record(salt: str, job_id: int, r: DatumResult) -> DatumRecord:
    outputs = [p.path for p in r.outputs] if r.state == DatumState.SUCCESS else []
    return DatumRecord(
        job=job_id,
        datum_id=r.datum.id,
        hash=r.datum.hash(salt),
        state=r.state,
        reason=r.reason,
        items=[dict(item.to_json()) for item in r.datum.items],
        outputs=tuple(outputs),
        attempts=r.attempts,
        started=r.started,
        finished=r.finished,
    )
