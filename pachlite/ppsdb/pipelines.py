"""The pipelines table and each pipeline's stored spec versions.

A version stores the user spec and the effective spec as sorted JSON; the spec hash is the
SHA-256 of that effective JSON, so one effective spec always has one hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from pachlite.pfs.db import Database, Row
from pachlite.pps.pipeline_spec import load_spec
from pachlite.ppsdb.records import PipelineRecord, PipelineVersion

CURRENT = (
    "SELECT p.*, v.spec_hash, v.user_spec, v.effective_spec FROM pipelines p "
    "JOIN pipeline_versions v ON v.pipeline_id = p.id AND v.version = p.version"
)


def _record(row: Row) -> PipelineRecord:
    return PipelineRecord(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        salt=row["salt"],
        stopped=bool(row["stopped"]),
        output_branch=row["output_branch"],
        workdir=row["workdir"],
        created=row["created"],
        spec_hash=row["spec_hash"],
        user_spec=json.loads(row["user_spec"]),
        effective_spec=json.loads(row["effective_spec"]),
        spec=load_spec(row["effective_spec"]),
    )


def current(db: Database) -> list[PipelineRecord]:
    """Every pipeline at its current version, by name."""
    return [_record(r) for r in db.all(f"{CURRENT} ORDER BY p.name")]


def get(db: Database, name: str) -> PipelineRecord | None:
    row = db.one(f"{CURRENT} WHERE p.name = ?", (name,))
    return None if row is None else _record(row)


def by_id(db: Database, pipeline_id: int) -> PipelineRecord:
    row = db.one(f"{CURRENT} WHERE p.id = ?", (pipeline_id,))
    assert row is not None, f"pipeline #{pipeline_id} is missing"
    return _record(row)


def names(db: Database) -> list[str]:
    return [r["name"] for r in db.all("SELECT name FROM pipelines")]


def any_exist(db: Database) -> bool:
    return db.one("SELECT 1 FROM pipelines LIMIT 1") is not None


def version(db: Database, pipeline_id: int, number: int) -> PipelineVersion:
    row = db.one(
        "SELECT effective_spec, spec_hash FROM pipeline_versions "
        "WHERE pipeline_id = ? AND version = ?",
        (pipeline_id, number),
    )
    assert row is not None, f"version {number} of pipeline #{pipeline_id} is missing"
    stored = row["effective_spec"]
    return PipelineVersion(
        pipeline_id, number, row["spec_hash"], json.loads(stored), load_spec(stored)
    )


def insert(
    db: Database,
    name: str,
    *,
    salt: str,
    output_branch: str,
    workdir: str,
    created: float,
    project: str = "default",
) -> int:
    """A new pipeline at version 1 (its spec follows with `add_version`); its row ID. `name`
    is its key (`project/name` outside `default`)."""
    db.execute(
        "INSERT INTO pipelines (name, version, salt, output_branch, workdir, created, project) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (name, 1, salt, output_branch, workdir, created, project),
    )
    return int(db.scalar("SELECT id FROM pipelines WHERE name = ?", (name,)))


def update(
    db: Database, pipeline_id: int, *, version: int, salt: str, output_branch: str, workdir: str
) -> None:
    db.execute(
        "UPDATE pipelines SET version = ?, salt = ?, output_branch = ?, workdir = ? WHERE id = ?",
        (version, salt, output_branch, workdir, pipeline_id),
    )


def add_version(
    db: Database,
    pipeline_id: int,
    number: int,
    *,
    user_spec: Mapping[str, object],
    effective_spec: Mapping[str, object],
    created: float,
) -> str:
    """Store a spec version; its spec hash."""
    spec_json = json.dumps(effective_spec, sort_keys=True)
    spec_hash = hashlib.sha256(spec_json.encode()).hexdigest()
    db.execute(
        "INSERT INTO pipeline_versions (pipeline_id, version, spec_hash, user_spec, "
        "effective_spec, created) VALUES (?, ?, ?, ?, ?, ?)",
        (
            pipeline_id,
            number,
            spec_hash,
            json.dumps(user_spec, sort_keys=True),
            spec_json,
            created,
        ),
    )
    return spec_hash


def set_stopped(db: Database, pipeline_id: int, stopped: bool) -> None:
    db.execute("UPDATE pipelines SET stopped = ? WHERE id = ?", (int(stopped), pipeline_id))


def delete(db: Database, pipeline_id: int) -> None:
    """The pipeline, its versions, jobs, datums and logs (the schema cascades)."""
    db.execute("DELETE FROM pipelines WHERE id = ?", (pipeline_id,))
