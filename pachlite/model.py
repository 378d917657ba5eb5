"""Plain values the engine hands out: repos, branches, commits, files (docs/semantics.md §5.1).

They carry no behaviour beyond rendering themselves as JSON-ready dicts, so the CLI, the tests
and later the planner can all use them without touching storage.
"""

from __future__ import annotations

from enum import StrEnum

from pachlite.lazyclass import asdict, dataclass, field

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from typing import Any


class Origin(StrEnum):
    """Who made a commit: a person or program writing data (USER) or propagation (AUTO)."""

    USER = "USER"
    AUTO = "AUTO"
    FSCK = "FSCK"


class FileType(StrEnum):
    FILE = "file"
    DIR = "dir"


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    description: str
    created: float
    metadata: dict[str, str] = field(default_factory=dict)  # metadata.API's key/value pairs

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RepoInfo:
    name: str  # the repo's key: its name, or `project/name` outside `default`
    type: str
    description: str
    created: float
    size_bytes: int
    branches: list[str] = field(default_factory=list)
    project: str = "default"
    metadata: dict[str, str] = field(default_factory=dict)  # metadata.API's key/value pairs

    @property
    def short_name(self) -> str:
        """The name within its project."""
        return self.name.rpartition("/")[2]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BranchInfo:
    repo: str
    name: str
    head: str | None  # commit ID
    direct_provenance: list[str] = field(default_factory=list)  # "repo@branch"
    provenance: list[str] = field(default_factory=list)  # transitive
    subvenance: list[str] = field(default_factory=list)  # transitive
    metadata: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CommitInfo:
    repo: str
    id: str
    branch: str | None
    origin: Origin
    parent: str | None
    children: list[str]
    description: str
    started: float
    finishing: float | None
    finished: float | None
    error: str | None
    size_bytes: int
    direct_provenance: list[str]  # "repo@id"
    direct_subvenance: list[str]
    # For a pipeline's output commit: what made it (its provenance).
    job: str | None = None  # "pipeline@job-id"
    pipeline_version: int | None = None
    spec_hash: str | None = None
    image: str | None = None
    git_commit: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def is_finished(self) -> bool:
        return self.finished is not None

    @property
    def uri(self) -> str:
        return f"{self.repo}@{self.id}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["origin"] = str(self.origin)
        return data


# What EditMetadata can annotate, and what it can do (pachctl's `edit metadata` names).
METADATA_KINDS = ("project", "repo", "branch", "commit")
METADATA_OPS = ("add", "edit", "delete", "replace")


@dataclass(frozen=True)
class MetadataEdit:
    """One edit of one thing's metadata, as metadata.API's `Edit` says it.

    `target` is a project's name, a repo, `repo@branch`, or any commit reference
    (`repo@branch`, `repo@<id>`, `repo@branch^2`). `add` refuses a key that exists, `edit`
    sets one whether or not it does, `delete` removes one (a missing key is no error, as in
    pachd), `replace` makes `replacement` the whole of the metadata.
    """

    kind: str  # one of METADATA_KINDS
    target: str
    op: str  # one of METADATA_OPS
    key: str = ""
    value: str = ""
    replacement: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProvenanceNode:
    """One commit in a provenance tree and the commits it was made from."""

    commit: str  # "repo@id"
    branch: str | None
    origin: Origin
    inputs: list[ProvenanceNode]

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "branch": self.branch,
            "origin": str(self.origin),
            "provenance": [node.to_json() for node in self.inputs],
        }


@dataclass(frozen=True)
class FileInfo:
    repo: str
    commit: str
    path: str
    type: FileType
    size_bytes: int
    hash: str  # sha256 of the content for files; of the listing for directories

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = str(self.type)
        return data


class DiffKind(StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"


@dataclass(frozen=True)
class FileDiff:
    kind: DiffKind
    new: FileInfo | None
    old: FileInfo | None

    @property
    def path(self) -> str:
        info = self.new or self.old
        assert info is not None
        return info.path

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "path": self.path,
            "new": self.new.to_json() if self.new else None,
            "old": self.old.to_json() if self.old else None,
        }


@dataclass(frozen=True)
class FsckReport:
    objects_checked: int
    trees_checked: int
    commits_checked: int
    problems: list[str]
    unreferenced_objects: int
    stale_temp_files: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class BackupInfo:
    """A copy of a store's metadata (`pachlite backup`), or what `pachlite restore` put back."""

    path: str
    repos: int
    commits: int
    size_bytes: int
    missing_objects: int = 0  # restore: objects the backup names that the store lacks
    set_aside: str | None = None  # restore: where the replaced (damaged) metadata was moved

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class JobState(StrEnum):
    """Pachyderm's job states (docs/semantics.md §4.1)."""

    CREATED = "JOB_CREATED"
    STARTING = "JOB_STARTING"
    RUNNING = "JOB_RUNNING"
    FINISHING = "JOB_FINISHING"
    SUCCESS = "JOB_SUCCESS"
    FAILURE = "JOB_FAILURE"
    KILLED = "JOB_KILLED"
    UNRUNNABLE = "JOB_UNRUNNABLE"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCESS, JobState.FAILURE, JobState.KILLED, JobState.UNRUNNABLE)


class DatumState(StrEnum):
    """Pachyderm's datum states as `list datum` shows them (docs/semantics.md §4.2)."""

    STARTING = "STARTING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    RECOVERED = "RECOVERED"


@dataclass(frozen=True)
class PipelineInfo:
    name: str
    version: int
    spec_hash: str
    state: str  # running | paused
    created: float
    description: str
    input_repos: list[str]
    user_spec: dict[str, Any]
    effective_spec: dict[str, Any]
    notes: list[str]
    last_job_state: str | None
    workdir: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JobInfo:
    pipeline: str
    id: str
    state: JobState
    reason: str | None
    version: int
    spec_hash: str
    output_commit: str | None
    input_commits: list[str]
    created: float
    started: float | None
    finished: float | None
    data_total: int
    data_processed: int
    data_skipped: int
    data_failed: int
    data_recovered: int
    image: str
    git_commit: str | None

    @property
    def uri(self) -> str:
        return f"{self.pipeline}@{self.id}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        return data


@dataclass(frozen=True)
class DatumInfo:
    job: str  # pipeline@job
    id: str
    state: DatumState
    reason: str | None
    hash: str
    inputs: list[dict[str, Any]]
    outputs: list[str]
    attempts: int
    started: float | None
    finished: float | None

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        return data


@dataclass(frozen=True)
class LogLine:
    job: str
    datum: str | None
    stream: str
    time: float
    line: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
