"""The datums table: what each job recorded of its datums (state, hash, items, outputs)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pachlite.model import DatumState
from pachlite.pfs.db import Database, Row
from pachlite.ppsdb.records import DatumRecord


def _record(row: Row) -> DatumRecord:
    return DatumRecord(
        job=row["job"],
        datum_id=row["datum_id"],
        hash=row["hash"],
        state=DatumState(row["state"]),
        reason=row["reason"],
        items=json.loads(row["items"]),
        outputs=tuple(json.loads(row["outputs"])),
        attempts=row["attempts"],
        started=row["started"],
        finished=row["finished"],
    )


def of_job(db: Database, job_row_id: int) -> list[DatumRecord]:
    """A job's datums in the order it recorded them."""
    return [
        _record(r)
        for r in db.all("SELECT * FROM datums WHERE job = ? ORDER BY rowid", (job_row_id,))
    ]


def find(db: Database, job_row_id: int, prefix: str) -> DatumRecord | None:
    """A datum of the job whose ID starts with `prefix`."""
    row = db.one(
        "SELECT * FROM datums WHERE job = ? AND datum_id LIKE ?", (job_row_id, f"{prefix}%")
    )
    return None if row is None else _record(row)


def record(db: Database, datums: Sequence[DatumRecord]) -> None:
    """Store datums, replacing what their job had recorded for the same IDs."""
    db.executemany(
        "INSERT OR REPLACE INTO datums (job, datum_id, hash, state, reason, items, outputs, "
        "attempts, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                d.job,
                d.datum_id,
                d.hash,
                str(d.state),
                d.reason,
                json.dumps(d.items),
                json.dumps(list(d.outputs)),
                d.attempts,
                d.started,
                d.finished,
            )
            for d in datums
        ],
    )


def clear(db: Database, job_row_id: int) -> None:
    db.execute("DELETE FROM datums WHERE job = ?", (job_row_id,))
