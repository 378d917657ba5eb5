"""What the PPS tables hold, as typed frozen values: storage hands out these, never rows.

Specs are stored as JSON and leave here twice: typed (`spec`, what the engine reads) and as
the stored document (`effective_spec`, what `inspect` shows, so fields the typed model does
not know still round-trip). JSON columns (a job's forced datums, a datum's items and outputs)
leave parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

from pachlite.lazyclass import dataclass
from pachlite.model import DatumState, JobState

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

if TYPE_CHECKING:  # a type only here: reading records does not load the spec parser
    from typing import Any

    from pachlite.pps.pipeline_spec import PipelineSpec


@dataclass(frozen=True)
class PipelineRecord:
    """A pipeline and its current version."""

    id: int
    name: str
    version: int
    salt: str
    stopped: bool
    output_branch: str
    workdir: str
    created: float
    spec_hash: str
    user_spec: dict[str, Any]
    effective_spec: dict[str, Any]
    spec: PipelineSpec


@dataclass(frozen=True)
class PipelineVersion:
    """One stored version of a pipeline's spec."""

    pipeline_id: int
    version: int
    spec_hash: str
    effective_spec: dict[str, Any]
    spec: PipelineSpec


@dataclass(frozen=True)
class JobRecord:
    id: int  # the row ID: what the other tables refer to
    pipeline_id: int
    job_id: str  # the commit set ID of its output commit
    version: int  # the pipeline version it runs
    output_commit: int | None  # the commit's row ID
    state: JobState
    reason: str | None
    created: float
    started: float | None
    finished: float | None
    data_total: int
    data_processed: int
    data_skipped: int
    data_failed: int
    data_recovered: int
    git_commit: str | None
    forced: tuple[str, ...]  # datum IDs to process again whatever their hash


@dataclass(frozen=True)
class PipelineJob:
    """A job with its pipeline's name and the spec version it runs."""

    job: JobRecord
    pipeline: str
    spec_hash: str
    effective_spec: dict[str, Any]
    spec: PipelineSpec


@dataclass(frozen=True)
class OpenJob:
    """A job of a running pipeline that has not ended: what the scheduler chooses from."""

    id: int
    pipeline: str
    output_finished: float | None  # set when its output commit was finished by hand
    spec: PipelineSpec


@dataclass(frozen=True)
class DatumRecord:
    job: int  # the job's row ID
    datum_id: str
    hash: str
    state: DatumState
    reason: str | None
    items: list[dict[str, Any]]  # the datum's input items, as `Item.to_json` writes them
    outputs: Sequence[str]  # the paths it wrote
    attempts: int
    started: float | None
    finished: float | None


@dataclass(frozen=True)
class LogRecord:
    id: int
    pipeline: str
    job_id: str
    datum_id: str | None
    stream: str
    time: float
    line: str
