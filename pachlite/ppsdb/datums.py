"""The datums table: what each job recorded of its datums (state, hash, items, outputs)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

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


SKIPPED = str(DatumState.SKIPPED)
BATCH = 10_000  # rows per statement when reading or writing a job's datums: bounded memory


class StoredPaths(Sequence[str]):
    """A datum's recorded output paths, decoded only when read: a job that skips a million
    datums copies their outputs as stored, without decoding one."""

    __slots__ = ("_paths", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._paths: tuple[str, ...] | None = None

    def _decoded(self) -> tuple[str, ...]:
        if self._paths is None:
            self._paths = tuple(json.loads(self.text))
        return self._paths

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        return self._decoded()[index]

    def __len__(self) -> int:
        return len(self._decoded())

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())


def outcomes(db: Database, job_row_id: int) -> Iterator[tuple[str, str, str, StoredPaths]]:
    """(datum ID, hash, state, outputs) of each datum a job recorded, in ID order, read a
    batch at a time (what planning the next job needs: not the items)."""
    after = ""
    while True:
        rows = db.all(
            "SELECT datum_id, hash, state, outputs FROM datums WHERE job = ? AND datum_id > ? "
            "ORDER BY datum_id LIMIT ?",
            (job_row_id, after, BATCH),
        )
        for row in rows:
            yield row[0], row[1], row[2], StoredPaths(row[3])
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def outcomes_of(
    db: Database, job_row_id: int, datum_ids: Sequence[str]
) -> Iterator[tuple[str, str, str, StoredPaths]]:
    """`outcomes` of those of `datum_ids` the job recorded (one statement, by primary key:
    a planner asks for one batch of the new job's datums at a time)."""
    rows = db.all(
        "SELECT datum_id, hash, state, outputs FROM datums WHERE job = ? "
        "AND datum_id IN (SELECT value FROM json_each(?))",
        (job_row_id, json.dumps(list(datum_ids))),
    )
    for row in rows:
        yield row[0], row[1], row[2], StoredPaths(row[3])


def count(db: Database, job_row_id: int) -> int:
    row = db.one("SELECT count(*) FROM datums WHERE job = ?", (job_row_id,))
    return 0 if row is None else int(row[0])


def outcomes_missing_from(
    db: Database, job_row_id: int, other_row_id: int
) -> Iterator[tuple[str, str, str, StoredPaths]]:
    """`outcomes` of the job's datums that `other` has not recorded, in ID order."""
    after = ""
    while True:
        rows = db.all(
            "SELECT b.datum_id, b.hash, b.state, b.outputs FROM datums b WHERE b.job = ? "
            "AND b.datum_id > ? AND NOT EXISTS (SELECT 1 FROM datums o WHERE o.job = ? "
            "AND o.datum_id = b.datum_id) ORDER BY b.datum_id LIMIT ?",
            (job_row_id, after, other_row_id, BATCH),
        )
        for row in rows:
            yield row[0], row[1], row[2], StoredPaths(row[3])
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def skipped_mentioning(
    db: Database, job_row_id: int, text: str
) -> Iterator[tuple[str, StoredPaths]]:
    """(ID, outputs) of the job's skipped datums whose stored outputs contain `text` (a
    filter on the JSON as stored: the caller decodes and checks each one)."""
    rows = db.all(
        "SELECT datum_id, outputs FROM datums WHERE job = ? AND state = ? "
        "AND instr(outputs, ?) > 0 ORDER BY rowid",
        (job_row_id, SKIPPED, text),
    )
    for row in rows:
        yield row[0], StoredPaths(row[1])


def record_skipped(
    db: Database, job_row_id: int, datums: Iterable[tuple[str, str, str, Sequence[str]]]
) -> None:
    """Store skipped datums, each (ID, hash, items as JSON, outputs), a batch at a time."""
    it = iter(datums)
    while batch := list(islice(it, BATCH)):
        db.executemany(
            "INSERT OR REPLACE INTO datums (job, datum_id, hash, state, reason, items, "
            "outputs, attempts, started, finished) VALUES (?, ?, ?, ?, NULL, ?, ?, 0, NULL, NULL)",
            [
                (job_row_id, datum_id, digest, SKIPPED, items, _outputs_json(outputs))
                for datum_id, digest, items, outputs in batch
            ],
        )


def _outputs_json(outputs: Sequence[str]) -> str:
    return outputs.text if isinstance(outputs, StoredPaths) else json.dumps(list(outputs))


def record(db: Database, datums: Iterable[DatumRecord]) -> None:
    """Store datums, replacing what their job had recorded for the same IDs (a batch at a
    time: the rows of a million datums are never all in memory)."""
    record_rows(
        db,
        (
            (
                d.job,
                d.datum_id,
                d.hash,
                str(d.state),
                d.reason,
                json.dumps(d.items),
                _outputs_json(d.outputs),
                d.attempts,
                d.started,
                d.finished,
            )
            for d in datums
        ),
    )


# A datums row as stored: job, datum ID, hash, state, reason, items and outputs as JSON,
# attempts, started, finished.
StoredRow = tuple[int, str, str, str, str | None, str, str, int, float | None, float | None]


def record_rows(db: Database, rows: Iterable[StoredRow]) -> None:
    """`record`, of rows already encoded (the engine writes items with `items_json`)."""
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        db.executemany(
            "INSERT OR REPLACE INTO datums (job, datum_id, hash, state, reason, items, "
            "outputs, attempts, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )


def clear(db: Database, job_row_id: int) -> None:
    db.execute("DELETE FROM datums WHERE job = ?", (job_row_id,))
