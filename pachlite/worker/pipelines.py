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
from typing import Any

from pachlite.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, did_you_mean
from pachlite.model import JobState, PipelineInfo
from pachlite.pfs import branches, commits, repos
from pachlite.pfs.db import Row
from pachlite.pfs.refs import commit_by_row_id, find_branch, require_repo
from pachlite.pfs.store import Store
from pachlite.pps import spec as specs
from pachlite.pps.datums import Datum, generate
from pachlite.pps.validate import (
    effective_spec,
    iter_inputs,
    local_notes,
    pipeline_kind,
    validate,
)
from pachlite.worker.jobs import ensure_jobs
from pachlite.worker.listing import input_commit

SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def read_specs(path: str, stdin_text: str | None = None) -> list[tuple[str, dict[str, Any]]]:
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


def order_specs(batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Upstream pipelines of a batch first, so their output repos exist for the next ones."""
    names = {((s.get("pipeline") or {}).get("name")) for _, s in batch}
    ordered: list[tuple[str, dict[str, Any]]] = []
    pending = list(batch)
    while pending:
        done = {(s.get("pipeline") or {}).get("name") for _, s in ordered}
        ready = [
            item
            for item in pending
            if all(
                body.get("repo") not in names or body.get("repo") in done
                for _, body in iter_inputs(item[1].get("input"))
            )
        ]
        if not ready:
            ready = pending[:1]  # a cycle: validation reports it
        ordered.extend(ready)
        pending = [item for item in pending if item not in ready]
    return ordered


def create_pipelines(
    store: Store,
    batch: list[tuple[str, dict[str, Any]]],
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
    user_spec: dict[str, Any],
    *,
    source: str = "<spec>",
    update: bool = False,
    reprocess: bool = False,
    workdir: str | None = None,
) -> PipelineInfo:
    name = (user_spec.get("pipeline") or {}).get("name") or ""
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
        spec_json = json.dumps(spec, sort_keys=True)
        spec_hash = hashlib.sha256(spec_json.encode()).hexdigest()
        now = time.time()
        version = (existing["version"] + 1) if existing is not None else 1
        if existing is None:
            store.db.execute(
                "INSERT INTO pipelines (name, version, salt, output_branch, workdir, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, version, spec["salt"], spec["outputBranch"], workdir or os.getcwd(), now),
            )
        else:
            store.db.execute(
                "UPDATE pipelines SET version = ?, salt = ?, output_branch = ?, workdir = ? "
                "WHERE id = ?",
                (
                    version,
                    spec["salt"],
                    spec["outputBranch"],
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
        _wire(store, name, spec)
        if pipeline_kind(spec) != "spout":
            # A spout has no inputs and no jobs: it writes its own commits (reference §6.1).
            commits.start_auto_commit(store, name, spec["outputBranch"])
        ensure_jobs(store)
        return inspect_pipeline(store, name)


def _cron_repos(spec: dict[str, Any]) -> set[str]:
    return {body["repo"] for kind, body in iter_inputs(spec.get("input")) if kind == "cron"}


def _wire(store: Store, name: str, spec: dict[str, Any]) -> None:
    """Output repo and branch, cron repos, input branches, and the provenance between them."""
    if not store.db.one("SELECT 1 FROM repos WHERE name = ?", (name,)):
        repos.create_repo(store, name, description=f"Output repo for pipeline {name}.")
    upstream: list[tuple[str, str]] = []
    for kind, body in iter_inputs(spec.get("input")):
        if kind == "cron" and not store.db.one(
            "SELECT 1 FROM repos WHERE name = ?", (body["repo"],)
        ):
            repos.create_repo(store, body["repo"], description=f"Cron ticks for {name}.")
        branch = body.get("branch") or "master" if kind == "pfs" else "master"
        branches.ensure_branch(store, body["repo"], branch)
        if (body["repo"], branch) not in upstream:
            upstream.append((body["repo"], branch))
    branches.set_provenance(store, name, spec["outputBranch"], upstream)


def pipeline_inputs(store: Store) -> dict[str, set[str]]:
    """Each pipeline's input repos, from its current effective spec."""
    out: dict[str, set[str]] = {}
    for row in current_versions(store):
        spec = json.loads(row["effective_spec"])
        out[row["name"]] = {body["repo"] for _, body in iter_inputs(spec.get("input"))}
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
    spec = json.loads(row["effective_spec"])
    last = store.db.scalar(
        "SELECT state FROM jobs WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1", (row["id"],)
    )
    return PipelineInfo(
        name=row["name"],
        version=row["version"],
        spec_hash=row["spec_hash"],
        state="paused" if row["stopped"] else "running",
        created=row["created"],
        description=spec.get("description") or "",
        input_repos=sorted({body["repo"] for _, body in iter_inputs(spec.get("input"))}),
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


def preview_datums(store: Store, user_spec: dict[str, Any], source: str) -> list[Datum]:
    """The datums a spec would get from the inputs' current heads, without creating it."""
    spec = effective_spec(user_spec)
    listings: dict[Any, Any] = {}
    for kind, body in iter_inputs(spec.get("input")):
        branch = body.get("branch") or "master" if kind == "pfs" else "master"
        try:
            repo = require_repo(store, body["repo"])
        except NotFound:
            if kind == "cron":
                continue
            raise
        head = find_branch(store, repo, branch)
        if head is not None and head.head is not None:
            listings[(body["name"], body["repo"])] = input_commit(
                store, commit_by_row_id(store, head.head), branch
            )
    return generate(spec.get("input"), listings)


def names_of(items: Iterable[PipelineInfo]) -> list[str]:
    return [i.name for i in items]
