"""What a job records of its datums: their rows (state, hash, outputs, attempts), their
counters on the job, and their capped logs, each stored as the datum ends."""

from __future__ import annotations

import json
from typing import Any

from pachlite.model import DatumState
from pachlite.pfs.store import Store
from pachlite.pps.datums import Datum
from pachlite.pps.plan import JobPlan
from pachlite.worker.datum import DatumResult


def store_logs(store: Store, job_row_id: int, result: DatumResult) -> None:
    """A datum's (capped) log, stored as it ends: memory holds the running datums' logs only."""
    store.db.executemany(
        "INSERT INTO logs (job, datum_id, stream, time, line) VALUES (?, ?, ?, ?, ?)",
        [(job_row_id, result.datum.id, stream, t, line) for stream, t, line in result.logs],
    )
    result.logs = []


def count(store: Store, job_row_id: int, result: DatumResult) -> None:
    column = {
        DatumState.SUCCESS: "data_processed",
        DatumState.FAILED: "data_failed",
        DatumState.RECOVERED: "data_recovered",
    }[result.state]
    store.db.execute(f"UPDATE jobs SET {column} = {column} + 1 WHERE id = ?", (job_row_id,))


def record_datums(store: Store, job_id: int, plan: JobPlan, results: list[DatumResult]) -> None:
    salt = store.db.scalar(
        "SELECT p.salt FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = ?",
        (job_id,),
    )
    rows: list[tuple[Any, ...]] = []
    for datum, previous in plan.skipped:
        rows.append(
            (
                job_id,
                datum.id,
                previous.hash,
                str(DatumState.SKIPPED),
                None,
                _items(datum),
                json.dumps(list(previous.outputs)),
                0,
                None,
                None,
            )
        )
    for r in results:
        outputs = [p.path for p in r.outputs] if r.state == DatumState.SUCCESS else []
        rows.append(
            (
                job_id,
                r.datum.id,
                r.datum.hash(salt),
                str(r.state),
                r.reason,
                _items(r.datum),
                json.dumps(outputs),
                r.attempts,
                r.started,
                r.finished,
            )
        )
    store.db.executemany(
        "INSERT OR REPLACE INTO datums (job, datum_id, hash, state, reason, items, outputs, "
        "attempts, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _items(datum: Datum) -> str:
    return json.dumps([item.to_json() for item in datum.items])
