"""Pipeline verbs: create, update, delete, stop, start, inspect, list, and datum previews.

Creating or updating a pipeline stores the user spec and the effective spec as a new version,
makes the output repo and branch (provenance: the input branches), and starts a commit set
on the output branch: that is the job which processes what the inputs already hold
(reference §4.5). The salt is kept across updates unless --reprocess, so unchanged datums
are skipped after a code change (§2.6).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from pachlite.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, did_you_mean
from pachlite.model import JobState, PipelineInfo
from pachlite.pfs import branches, commits, repos
from pachlite.pfs.db import Row
from pachlite.pfs.refs import branch_row, commit_by_row_id, repo_row
from pachlite.pfs.store import Store
from pachlite.pps import spec as specs
from pachlite.pps.dag import upstream_first
from pachlite.pps.datums import Datum, InputCommit, generate
from pachlite.pps.pipeline_spec import CronInput, PipelineSpec, load_spec, parse_spec
from pachlite.pps.spec import Spec
from pachlite.pps.validate import effective_spec, iter_inputs, local_notes, validate
from pachlite.worker.jobs import ensure_jobs
from pachlite.worker.listing import input_commit

SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def read_specs(path: str, stdin_text: str | None = None) -> list[tuple[str, Spec]]:
    """(source, normalised user spec) for a file, every spec file in a directory, or '-'."""
    if path == "-":
        sources = [("<stdin>", stdin_text or "")]
    elif os.path.isdir(path):
        files = sorted(p for p in Path(path).iterdir() if p.suffix in SPEC_SUFFIXES)
        if not files:
            raise InvalidArgument(f"no .json/.yaml/.yml spec files in {path}")
        sources = [(str(f), f.read_text()) for f in files]
    elif os.path.isfile(path):
        sources = [(path, Path(path).read_text())]
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
            str(body.get("repo"))
            for _, spec in items
            for _, body in iter_inputs(spec.get("input"))
            if body.get("repo") != name
        }
        for name, items in by_name.items()
    }
    return [item for name in upstream_first(inputs) for item in by_name[name]]


def _name(spec: Spec) -> str:
    return str((spec.get("pipeline") or {}).get("name") or "")


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
        existing = store.db.one("SELECT * FROM pipelines WHERE name = ?", (name,))
        if existing is not None and not update:
            raise AlreadyExists(
                f"pipeline {name!r} already exists",
                f"change it with `pachlite update pipeline -f {source}`",
            )
        if existing is None and store.db.one("SELECT 1 FROM repos WHERE name = ?", (name,)):
            raise AlreadyExists(
                f"a repo named {name!r} already exists, and a pipeline's output repo takes its "
                "name",
                "choose another pipeline name or delete that repo",
            )
        salt = existing["salt"] if existing is not None and not reprocess else None
        spec = effective_spec(user_spec, salt=salt if not user_spec.get("salt") else None)
        if reprocess and existing is not None and spec["salt"] == existing["salt"]:
            spec["salt"] = effective_spec({})["salt"]  # --reprocess: a new salt, every datum
        repo_names = {r["name"] for r in store.db.all("SELECT name FROM repos")}
        validate(
            spec,
            existing_repos=repo_names | _cron_repos(spec),
            pipeline_inputs=pipeline_inputs(store),
            source=source,
        )
        parsed = parse_spec(spec)
        spec_json = json.dumps(spec, sort_keys=True)
        spec_hash = hashlib.sha256(spec_json.encode()).hexdigest()
        now = time.time()
        version = (existing["version"] + 1) if existing is not None else 1
        if existing is None:
            store.db.execute(
                "INSERT INTO pipelines (name, version, salt, output_branch, workdir, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, version, parsed.salt, parsed.output_branch, workdir or os.getcwd(), now),
            )
        else:
            store.db.execute(
                "UPDATE pipelines SET version = ?, salt = ?, output_branch = ?, workdir = ? "
                "WHERE id = ?",
                (
                    version,
                    parsed.salt,
                    parsed.output_branch,
                    workdir or existing["workdir"],
                    existing["id"],
                ),
            )
        pipeline_id = store.db.scalar("SELECT id FROM pipelines WHERE name = ?", (name,))
        store.db.execute(
            "INSERT INTO pipeline_versions (pipeline_id, version, spec_hash, user_spec, "
            "effective_spec, created) VALUES (?, ?, ?, ?, ?, ?)",
            (
                pipeline_id,
                version,
                spec_hash,
                json.dumps(user_spec, sort_keys=True),
                spec_json,
                now,
            ),
        )
        _wire(store, parsed)
        if parsed.kind != "spout":
            # A spout has no inputs and no jobs: it writes its own commits (reference §6.1).
            commits.start_auto_commit(store, name, parsed.output_branch)
        ensure_jobs(store)
        return inspect_pipeline(store, name)


def _cron_repos(spec: Spec) -> set[str]:
    """The cron repos an effective spec (not yet validated) would make."""
    return {body["repo"] for kind, body in iter_inputs(spec.get("input")) if kind == "cron"}


def _wire(store: Store, spec: PipelineSpec) -> None:
    """Output repo and branch, cron repos, input branches, and the provenance between them."""
    name = spec.name
    if not store.db.one("SELECT 1 FROM repos WHERE name = ?", (name,)):
        repos.create_repo(store, name, description=f"Output repo for pipeline {name}.")
    upstream: list[tuple[str, str]] = []
    for leaf in spec.leaves():
        if isinstance(leaf, CronInput) and not store.db.one(
            "SELECT 1 FROM repos WHERE name = ?", (leaf.repo,)
        ):
            repos.create_repo(store, leaf.repo, description=f"Cron ticks for {name}.")
        branches.ensure_branch(store, leaf.repo, leaf.branch)
        if (leaf.repo, leaf.branch) not in upstream:
            upstream.append((leaf.repo, leaf.branch))
    branches.set_provenance(store, name, spec.output_branch, upstream)


def pipeline_inputs(store: Store) -> dict[str, set[str]]:
    """Each pipeline's input repos, from its current effective spec."""
    out: dict[str, set[str]] = {}
    for row in current_versions(store):
        out[row["name"]] = load_spec(row["effective_spec"]).input_repos
    return out


def current_versions(store: Store) -> list[Row]:
    return store.db.all(
        "SELECT p.*, v.spec_hash, v.user_spec, v.effective_spec FROM pipelines p "
        "JOIN pipeline_versions v ON v.pipeline_id = p.id AND v.version = p.version "
        "ORDER BY p.name"
    )


def require_pipeline(store: Store, name: str) -> Row:
    row = store.db.one(
        "SELECT p.*, v.spec_hash, v.user_spec, v.effective_spec FROM pipelines p "
        "JOIN pipeline_versions v ON v.pipeline_id = p.id AND v.version = p.version "
        "WHERE p.name = ?",
        (name,),
    )
    if row is None:
        names = [r["name"] for r in store.db.all("SELECT name FROM pipelines")]
        raise NotFound(
            f"pipeline {name!r} not found{did_you_mean(name, names)}",
            "see `pachlite list pipeline`",
        )
    return row


def _info(store: Store, row: Row) -> PipelineInfo:
    spec = json.loads(row["effective_spec"])  # shown as stored: unmodelled fields round-trip
    parsed = load_spec(row["effective_spec"])
    last = store.db.scalar(
        "SELECT state FROM jobs WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1", (row["id"],)
    )
    return PipelineInfo(
        name=row["name"],
        version=row["version"],
        spec_hash=row["spec_hash"],
        state="paused" if row["stopped"] else "running",
        created=row["created"],
        description=parsed.description,
        input_repos=sorted(parsed.input_repos),
        user_spec=json.loads(row["user_spec"]),
        effective_spec=spec,
        notes=local_notes(spec),
        last_job_state=last,
        workdir=row["workdir"],
    )


def inspect_pipeline(store: Store, name: str) -> PipelineInfo:
    return _info(store, require_pipeline(store, name))


def list_pipelines(store: Store) -> list[PipelineInfo]:
    return [_info(store, row) for row in current_versions(store)]


def set_stopped(store: Store, name: str, stopped: bool) -> None:
    row = require_pipeline(store, name)
    store.db.execute("UPDATE pipelines SET stopped = ? WHERE id = ?", (int(stopped), row["id"]))


def delete_pipeline(
    store: Store, name: str, *, keep_repo: bool = False, force: bool = False
) -> None:
    with store.db.atomic():
        row = require_pipeline(store, name)
        readers = sorted(p for p, ins in pipeline_inputs(store).items() if name in ins)
        if readers and not force:
            raise Conflict(
                f"pipeline {name!r} feeds {', '.join(readers)}",
                "delete those pipelines first, or pass --force",
            )
        running = store.db.scalar(
            "SELECT count(*) FROM jobs WHERE pipeline_id = ? AND state = ?",
            (row["id"], str(JobState.RUNNING)),
        )
        if running and not force:
            raise Conflict(f"pipeline {name!r} has a running job", "stop it first, or --force")
        store.db.execute("DELETE FROM pipelines WHERE id = ?", (row["id"],))
        if not keep_repo:
            repos.delete_repo(store, name, force=True)


def preview_datums(store: Store, user_spec: Spec, source: str) -> list[Datum]:
    """The datums a spec would get from the inputs' current heads, without creating it."""
    spec = parse_spec(effective_spec(user_spec))
    listings: dict[tuple[str, str] | str, InputCommit] = {}
    for leaf in spec.leaves():
        try:
            repo = repo_row(store, leaf.repo)
        except NotFound:
            if isinstance(leaf, CronInput):
                continue
            raise
        head = branch_row(store, repo, leaf.branch)
        if head is not None and head["head"] is not None:
            listings[(leaf.name, leaf.repo)] = input_commit(
                store, commit_by_row_id(store, head["head"]), leaf.branch
            )
    return generate(spec.input, listings)


def names_of(items: Iterable[PipelineInfo]) -> list[str]:
    return [i.name for i in items]
