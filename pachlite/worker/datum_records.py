"""What a job records of its datums: their rows (state, hash, outputs, attempts), their
counters on the job, and their capped logs.

Everything is written as datums end, a batch at a time (`Progress`: at most `FLUSH_S` after
the datum ended, one transaction per batch), so a job holds the results of one batch, not of
every datum it ran (the skipped datums' rows are written as the plan finds them:
`worker.jobs._plan`). Until the job ends they only show progress: a job that a crash
interrupts is redone from the start (docs/semantics.md §4.1), its datums and logs cleared,
and its output is merged and its commit finished in one transaction after the last datum.
"""

from __future__ import annotations

import json
import time

from pachlite.model import DatumState
from pachlite.pfs.store import Store
from pachlite.pps.datums import items_json
from pachlite.ppsdb import datums as datum_table
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import logs as log_table
from pachlite.worker.datum import DatumResult

FLUSH_S = 0.25  # the longest a finished datum's counter and log wait to be written
FLUSH_DATUMS = 5_000  # and the most finished datums held in memory before they are


class Progress:
    """Finished datums' rows, counters and logs, written a batch at a time (one transaction
    per `FLUSH_S` or `FLUSH_DATUMS`, not three statements per datum). Use as a context
    manager: what is pending is written on the way out, even when the job fails."""

    def __init__(self, store: Store, job_row_id: int) -> None:
        self.store = store
        self.job_row_id = job_row_id
        self.salt = job_table.salt(store.db, job_row_id)
        self.pending: list[DatumResult] = []
        self.due = time.monotonic() + FLUSH_S

    def add(self, result: DatumResult) -> None:
        self.pending.append(result)
        if len(self.pending) >= FLUSH_DATUMS or time.monotonic() >= self.due:
            self.flush()

    def flush(self) -> None:
        self.due = time.monotonic() + FLUSH_S
        if not self.pending:
            return
        with self.store.db.atomic():
            rows = (_row(self.salt, self.job_row_id, r) for r in self.pending)
            datum_table.record_rows(self.store.db, rows)
            for result in self.pending:
                count(self.store, self.job_row_id, result)
                store_logs(self.store, self.job_row_id, result)
        self.pending = []

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.flush()


def store_logs(store: Store, job_row_id: int, result: DatumResult) -> None:
    """A datum's (capped) log, stored as it ends: memory holds the running datums' logs only."""
    log_table.add(store.db, job_row_id, result.datum.id, result.logs)
    result.logs = []


def count(store: Store, job_row_id: int, result: DatumResult) -> None:
    job_table.count_datum(store.db, job_row_id, result.state)


def _row(salt: str, job_id: int, r: DatumResult) -> datum_table.StoredRow:
    outputs = [p.path for p in r.outputs] if r.state == DatumState.SUCCESS else []
    return (
        job_id,
        r.datum.id,
        r.datum.hash(salt),
        str(r.state),
        r.reason,
        items_json(r.datum.items),
        json.dumps(outputs),
        r.attempts,
        r.started,
        r.finished,
    )
