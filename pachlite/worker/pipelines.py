"""Pipeline verbs: create, update, delete, stop, start, inspect, list, and datum previews.

Creating or updating a pipeline stores the user spec and the effective spec as a new version,
makes the output repo and branch (provenance: the input branches), and starts a commit set
on the output branch: that is the job which processes what the inputs already hold
(docs/semantics.md §4.5). The salt is kept across updates unless --reprocess, so unchanged datums
are skipped after a code change (docs/semantics.md §2.6).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from pachlite.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, did_you_mean
from pachlite.model import PipelineInfo
from pachlite.paths import qualify
from pachlite.pfs import branches, commits, repos
from pachlite.pfs.projects import require_project
from pachlite.pfs.refs import commit_by_row_id, find_branch, repo_exists, repo_names, require_repo
from pachlite.pfs.store import Store
from pachlite.pps import spec as specs
from pachlite.pps.dag import upstream_first
from pachlite.pps.datums import Datum, InputCommit, generate
from pachlite.pps.pipeline_spec import (
    CronInput,
    PipelineSpec,
    input_repo_key,
    parse_spec,
    spec_project,
)
from pachlite.pps.spec import Spec
from pachlite.pps.validate import effective_spec, iter_inputs, local_notes, validate
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import pipelines as pipeline_table
from pachlite.ppsdb.records import PipelineRecord
from pachlite.worker.jobs import ensure_jobs
from pachlite.worker.listing import input_commit

SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def _read_spec_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:  # a binary file given as a spec (a backup, an image...)
        raise InvalidArgument(
            f"{path} is not a text spec (byte {exc.start} is not UTF-8)",
            "give a pipeline spec in JSON or YAML",
        ) from None


def read_specs(path: str, stdin_text: str | None = None) -> list[tuple[str, Spec]]:
    """(source, normalised user spec) for a file, every spec file in a directory, or '-'."""
    if path == "-":
        sources = [("<stdin>", stdin_text or "")]
    elif os.path.isdir(path):
        files = sorted(p for p in Path(path).iterdir() if p.suffix in SPEC_SUFFIXES)
        if not files:
            raise InvalidArgument(f"no .json/.yaml/.yml spec files in {path}")
        sources = [(str(f), _read_spec_text(f)) for f in files]
    elif os.path.isfile(path):
        sources = [(path, _read_spec_text(Path(path)))]
    else:
        raise InvalidArgument(f"{path} does not exist", "give a spec file, a directory or -")
    out = []
    for source, text in sources:
        for raw in specs.load_documents(text, source):
            spec = specs.normalize(raw, source)
            specs.validate_schema(spec, source)
            out.append((source, spec))
    return out


def order_specs(batch: list[tuple[str, Spec]]) -> list[tuple[str, Spec]]:
    """Upstream pipelines of a batch first, so their output repos exist for the next ones; a
    cycle between them is refused. A spec reading its own output is left to validation: a new
    pipeline's output repo does not exist yet, and an update is refused as a cycle there."""
    by_name: dict[str, list[tuple[str, Spec]]] = {}
    for item in batch:
        by_name.setdefault(_name(item[1]), []).append(item)
    inputs = {
        name: {
            _input_key(kind, body, spec)
            for _, spec in items
            for kind, body in iter_inputs(spec.get("input"))
            if _input_key(kind, body, spec) != name
        }
        for name, items in by_name.items()
    }
    return [item for name in upstream_first(inputs) for item in by_name[name]]


def _name(spec: Spec) -> str:
    """A user spec's pipeline key: `project/name` outside `default`."""
    return qualify(spec_project(spec), str((spec.get("pipeline") or {}).get("name") or ""))


def _input_key(kind: str, body: Spec, spec: Spec) -> str:
    if kind == "pfs":
        return input_repo_key(body, spec_project(spec))
    return qualify(spec_project(spec), str(body.get("repo") or ""))


def create_pipelines(
    store: Store,
    batch: list[tuple[str, Spec]],
    *,
    update: bool = False,
    reprocess: bool = False,
    workdir: str | None = None,
) -> list[PipelineInfo]:
    return [
        create_pipeline(
            store,
            spec,
            source=source,
            update=bool(spec.get("update", update)),
            reprocess=bool(spec.get("reprocess", reprocess)),
            workdir=workdir,
        )
        for source, spec in order_specs(batch)
    ]


def create_pipeline(
    store: Store,
    user_spec: Spec,
    *,
    source: str = "<spec>",
    update: bool = False,
    reprocess: bool = False,
    workdir: str | None = None,
) -> PipelineInfo:
    name = _name(user_spec)
    with store.db.atomic():
        require_project(store, spec_project(user_spec))
        existing = pipeline_table.get(store.db, name)
        if existing is not None and not update:
            raise AlreadyExists(
                f"pipeline {name!r} already exists",
                f"change it with `pachlite update pipeline -f {source}`",
            )
        if existing is None and repo_exists(store, name):
            raise AlreadyExists(
                f"a repo named {name!r} already exists, and a pipeline's output repo takes its "
                "name",
                "choose another pipeline name or delete that repo",
            )
        salt = existing.salt if existing is not None and not reprocess else None
        spec = effective_spec(user_spec, salt=salt if not user_spec.get("salt") else None)
        if reprocess and existing is not None and spec["salt"] == existing.salt:
            spec["salt"] = effective_spec({})["salt"]  # --reprocess: a new salt, every datum
        validate(
            spec,
            existing_repos=set(repo_names(store)) | _cron_repos(spec),
            pipeline_inputs=pipeline_inputs(store),
            source=source,
        )
        parsed = parse_spec(spec)
        now = time.time()
        if existing is None:
            version = 1
            pipeline_id = pipeline_table.insert(
                store.db,
                name,
                salt=parsed.salt,
                output_branch=parsed.output_branch,
                workdir=workdir or os.getcwd(),
                created=now,
                project=parsed.project,
            )
        else:
            version, pipeline_id = existing.version + 1, existing.id
            pipeline_table.update(
                store.db,
                pipeline_id,
                version=version,
                salt=parsed.salt,
                output_branch=parsed.output_branch,
                workdir=workdir or existing.workdir,
            )
        pipeline_table.add_version(
            store.db, pipeline_id, version, user_spec=user_spec, effective_spec=spec, created=now
        )
        _wire(store, parsed)
        if parsed.kind != "spout":
            # A spout has no inputs and no jobs: it writes its own commits (docs/semantics.md §6.1).
            commits.start_auto_commit(store, name, parsed.output_branch)
        ensure_jobs(store)
        return inspect_pipeline(store, name)


def _cron_repos(spec: Spec) -> set[str]:
    """The cron repos an effective spec (not yet validated) would make."""
    return {body["repo"] for kind, body in iter_inputs(spec.get("input")) if kind == "cron"}


def _wire(store: Store, spec: PipelineSpec) -> None:
    """Output repo and branch, cron repos, input branches, and the provenance between them."""
    name = spec.key
    if not repo_exists(store, name):
        repos.create_repo(store, name, description=f"Output repo for pipeline {name}.")
    upstream: list[tuple[str, str]] = []
    for leaf in spec.leaves():
        if isinstance(leaf, CronInput) and not repo_exists(store, leaf.repo):
            repos.create_repo(store, leaf.repo, description=f"Cron ticks for {name}.")
        branches.ensure_branch(store, leaf.repo, leaf.branch)
        if (leaf.repo, leaf.branch) not in upstream:
            upstream.append((leaf.repo, leaf.branch))
    branches.set_provenance(store, name, spec.output_branch, upstream)


def pipeline_inputs(store: Store) -> dict[str, set[str]]:
    """Each pipeline's input repos, from its current effective spec."""
    return {p.name: set(p.spec.input_repos) for p in current_versions(store)}


def current_versions(store: Store) -> list[PipelineRecord]:
    """Every pipeline at its current version, by name."""
    return pipeline_table.current(store.db)


def any_exist(store: Store) -> bool:
    return pipeline_table.any_exist(store.db)


def require_pipeline(store: Store, name: str) -> PipelineRecord:
    found = pipeline_table.get(store.db, name)
    if found is None:
        names = pipeline_table.names(store.db)
        raise NotFound(
            f"pipeline {name!r} not found{did_you_mean(name, names)}",
            "see `pachlite list pipeline`",
        )
    return found


def _info(store: Store, pipeline: PipelineRecord) -> PipelineInfo:
    spec = pipeline.effective_spec  # shown as stored: unmodelled fields round-trip
    parsed = pipeline.spec
    return PipelineInfo(
        name=pipeline.name,
        version=pipeline.version,
        spec_hash=pipeline.spec_hash,
        state="paused" if pipeline.stopped else "running",
        created=pipeline.created,
        description=parsed.description,
        input_repos=sorted(parsed.input_repos),
        user_spec=pipeline.user_spec,
        effective_spec=spec,
        notes=local_notes(spec),
        last_job_state=job_table.last_state(store.db, pipeline.id),
        workdir=pipeline.workdir,
    )


def inspect_pipeline(store: Store, name: str) -> PipelineInfo:
    return _info(store, require_pipeline(store, name))


def list_pipelines(store: Store) -> list[PipelineInfo]:
    return [_info(store, p) for p in current_versions(store)]


def set_stopped(store: Store, name: str, stopped: bool) -> None:
    pipeline_table.set_stopped(store.db, require_pipeline(store, name).id, stopped)


def delete_pipeline(
    store: Store, name: str, *, keep_repo: bool = False, force: bool = False
) -> None:
    with store.db.atomic():
        pipeline = require_pipeline(store, name)
        readers = sorted(p for p, ins in pipeline_inputs(store).items() if name in ins)
        if readers and not force:
            raise Conflict(
                f"pipeline {name!r} feeds {', '.join(readers)}",
                "delete those pipelines first, or pass --force",
            )
        if job_table.running_count(store.db, pipeline.id) and not force:
            raise Conflict(f"pipeline {name!r} has a running job", "stop it first, or --force")
        pipeline_table.delete(store.db, pipeline.id)
        if not keep_repo:
            repos.delete_repo(store, name, force=True)


def preview_datums(store: Store, user_spec: Spec, source: str) -> list[Datum]:
    """The datums a spec would get from the inputs' current heads, without creating it."""
    spec = parse_spec(effective_spec(user_spec))
    listings: dict[tuple[str, str] | str, InputCommit] = {}
    for leaf in spec.leaves():
        try:
            repo = require_repo(store, leaf.repo)
        except NotFound:
            if isinstance(leaf, CronInput):
                continue
            raise
        head = find_branch(store, repo, leaf.branch)
        if head is not None and head.head is not None:
            listings[(leaf.name, leaf.repo)] = input_commit(
                store, commit_by_row_id(store, head.head), leaf.branch
            )
    return generate(spec.input, listings)


def names_of(items: Iterable[PipelineInfo]) -> list[str]:
    return [i.name for i in items]
