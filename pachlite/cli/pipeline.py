"""`create|update|list|inspect|delete|stop|start pipeline` and `run cron`."""

from __future__ import annotations

import json
import sys

from pachlite.cli import output
from pachlite.cli.command import Context, argument, option
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.cli.verbs import create, delete, inspect, list_, run, start, stop, update
from pachlite.model import PipelineInfo

SPEC_HELP = "Spec file (JSON or YAML, several specs allowed), a directory of them, or - for stdin."


def _create(ctx: Context, spec: str, *, update: bool, reprocess: bool) -> None:
    stdin_text = sys.stdin.read() if spec == "-" else None
    infos = ctx.client().create_pipeline(
        spec, update=update, reprocess=reprocess, stdin_text=stdin_text
    )
    for info in infos:
        verb = "updated" if info.version > 1 else "created"
        echo(f"{verb} pipeline {info.name} (version {info.version})", err=True)
        for note in info.notes:
            echo(f"  note: {note}", err=True)


@create.command("pipeline")
@option("-f", "--file", "spec", required=True, help=SPEC_HELP)
@triggers_jobs
def create_pipeline(ctx: Context, spec: str) -> None:
    """Create pipelines; the first job processes what the inputs already hold."""
    _create(ctx, spec, update=False, reprocess=False)


@update.command("pipeline")
@option("-f", "--file", "spec", required=True, help=SPEC_HELP)
@option("--reprocess", is_flag=True, help="New salt: reprocess every datum.")
@triggers_jobs
def update_pipeline(ctx: Context, spec: str, reprocess: bool) -> None:
    """Update pipelines (a new version); unchanged datums are skipped unless --reprocess."""
    _create(ctx, spec, update=True, reprocess=reprocess)


@list_.command("pipeline")
@OUTPUT_OPTION
def list_pipeline(ctx: Context, fmt: str) -> None:
    """List pipelines with their inputs, version and last job."""
    infos = ctx.client().list_pipeline()
    if fmt == "json":
        output.emit_json(infos)
        return
    output.table(
        ["NAME", "VERSION", "INPUT", "CREATED", "STATE / LAST JOB", "DESCRIPTION"],
        [
            [
                i.name,
                str(i.version),
                ", ".join(i.input_repos) or "-",
                output.ago(i.created),
                f"{i.state} / {(i.last_job_state or '-').replace('JOB_', '').lower()}",
                i.description,
            ]
            for i in infos
        ],
    )


@inspect.command("pipeline")
@argument("name")
@option("--spec", "show_spec", is_flag=True, help="Print the effective spec as JSON.")
@OUTPUT_OPTION
def inspect_pipeline(ctx: Context, name: str, show_spec: bool, fmt: str) -> None:
    """Show a pipeline: version, spec hash, inputs, and fields that only apply on a cluster."""
    info: PipelineInfo = ctx.client().inspect_pipeline(name)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    if show_spec:
        echo(json.dumps(info.effective_spec, indent=2, sort_keys=True))
        return
    from pachlite.pps.pipeline_spec import parse_spec  # yaml and jsonschema: only here

    spec = parse_spec(info.effective_spec)
    output.fields(
        [
            ("Name", info.name),
            ("Description", info.description or "-"),
            ("Version", f"{info.version} (spec hash {info.spec_hash[:16]})"),
            ("State", info.state),
            ("Last job", info.last_job_state or "-"),
            ("Created", output.when(info.created)),
            ("Inputs", ", ".join(info.input_repos) or "- (spout)"),
            ("Output branch", f"{info.name}@{spec.output_branch}"),
            ("Image", str(spec.transform.image)),
            ("Command", json.dumps(list(spec.transform.cmd))),
            ("Datum tries", str(spec.datum_tries)),
            ("Parallelism", str(spec.parallelism)),
            ("Reprocess", spec.reprocess_spec),
            ("Runs in", info.workdir),
        ]
    )
    for note in info.notes:
        echo(f"Note: {note}")


@delete.command("pipeline")
@argument("name")
@option("--keep-repo", is_flag=True, help="Keep the output repo and its commits.")
@option("-f", "--force", is_flag=True, help="Delete even if other pipelines read it.")
def delete_pipeline(ctx: Context, name: str, keep_repo: bool, force: bool) -> None:
    """Delete a pipeline, its jobs, and (unless --keep-repo) its output repo."""
    ctx.client().delete_pipeline(name, keep_repo=keep_repo, force=force)


@stop.command("pipeline")
@argument("name")
def stop_pipeline(ctx: Context, name: str) -> None:
    """Pause a pipeline: its jobs wait until `start pipeline`."""
    ctx.client().stop_pipeline(name)


@start.command("pipeline")
@argument("name")
@triggers_jobs
def start_pipeline(ctx: Context, name: str) -> None:
    """Resume a stopped pipeline and run the jobs that waited."""
    ctx.client().start_pipeline(name)


@run.command("cron")
@argument("pipeline")
@triggers_jobs
def run_cron(ctx: Context, pipeline: str) -> None:
    """Write a tick stamped now into every cron input of a pipeline."""
    for commit in ctx.client().run_cron(pipeline):
        echo(commit)
