"""The logs table: the capped log lines of user code, per job and datum."""

from __future__ import annotations

from collections.abc import Sequence

from pachlite.pfs.db import Database
from pachlite.ppsdb.jobs import filters
from pachlite.ppsdb.records import LogRecord


def add(
    db: Database, job_row_id: int, datum_id: str, lines: Sequence[tuple[str, float, str]]
) -> None:
    """A datum's lines: (stream, time, line)."""
    db.executemany(
        "INSERT INTO logs (job, datum_id, stream, time, line) VALUES (?, ?, ?, ?, ?)",
        [(job_row_id, datum_id, stream, t, line) for stream, t, line in lines],
    )


def clear(db: Database, job_row_id: int) -> None:
    db.execute("DELETE FROM logs WHERE job = ?", (job_row_id,))


def page(
    db: Database,
    *,
    pipeline: str | None,
    job_id: str | None,
    datum_prefix: str | None,
    after: int,
    limit: int,
) -> list[LogRecord]:
    """Up to `limit` lines after line ID `after`, oldest first, of the pipeline, job and
    datum (an ID prefix) if given."""
    where, params = filters(pipeline, job_id)
    if datum_prefix:
        where.append("l.datum_id LIKE ?")
        params.append(f"{datum_prefix}%")
    where.append("l.id > ?")
    rows = db.all(
        "SELECT l.*, p.name AS pipeline, j.job_id FROM logs l JOIN jobs j ON j.id = l.job "
        f"JOIN pipelines p ON p.id = j.pipeline_id WHERE {' AND '.join(where)} "
        f"ORDER BY l.id LIMIT {int(limit)}",
        [*params, after],
    )
    return [
        LogRecord(
            r["id"], r["pipeline"], r["job_id"], r["datum_id"], r["stream"], r["time"], r["line"]
        )
        for r in rows
    ]
