"""`list|inspect|wait|stop job`, `list|inspect datum`, `restart datum`, `logs`."""

from __future__ import annotations

import time

from pachlite.cli import output
from pachlite.cli.command import Context, UsageError, argument, command, option
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.cli.verbs import inspect, list_, restart, stop, wait
from pachlite.model import JobInfo


def _duration(info: JobInfo) -> str:
    if info.started is None:
        return "-"
    end = info.finished or time.time()
    return f"{end - info.started:.1f}s"


def _progress(info: JobInfo) -> str:
    return f"{info.data_processed + info.data_skipped}/{info.data_total}"


@list_.command("job")
@argument("job_id", required=False, metavar="[COMMIT-SET-ID]")
@option("-p", "--pipeline", help="Only this pipeline's jobs.")
@OUTPUT_OPTION
def list_job(ctx: Context, job_id: str | None, pipeline: str | None, fmt: str) -> None:
    """List jobs, newest first (PROGRESS = processed + skipped / total)."""
    jobs = ctx.client().list_job(pipeline=pipeline, job_id=job_id)
    if fmt == "json":
        output.emit_json(jobs)
        return
    output.table(
        ["PIPELINE", "ID", "STARTED", "DURATION", "PROGRESS", "SKIPPED", "FAILED", "STATE"],
        [
            [
                j.pipeline,
                j.id,
                output.ago(j.started or j.created),
                _duration(j),
                _progress(j),
                str(j.data_skipped),
                str(j.data_failed),
                j.state.value,
            ]
            for j in jobs
        ],
    )


@inspect.command("job")
@argument("job", metavar="PIPELINE@JOB-ID")
@OUTPUT_OPTION
def inspect_job(ctx: Context, job: str, fmt: str) -> None:
    """Show a job: state, counters, inputs, output, pipeline version, image, git commit."""
    info = ctx.client().inspect_job(job)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Job", info.uri),
            ("State", info.state.value),
            ("Reason", info.reason or "-"),
            ("Pipeline version", f"{info.version} (spec hash {info.spec_hash[:16]})"),
            ("Image", info.image),
            ("Git commit", info.git_commit or "- (not a git checkout)"),
            ("Started", output.when(info.started)),
            ("Duration", _duration(info)),
            (
                "Datums",
                f"{info.data_total} total, {info.data_processed} processed, "
                f"{info.data_skipped} skipped, {info.data_failed} failed, "
                f"{info.data_recovered} recovered",
            ),
            ("Inputs", ", ".join(info.input_commits) or "-"),
            ("Output", info.output_commit or "-"),
        ]
    )


@wait.command("job")
@argument("job", metavar="PIPELINE@JOB-ID")
@option("--timeout", type=float, help="Give up after this many seconds.")
def wait_job(ctx: Context, job: str, timeout: float | None) -> None:
    """Wait until a job ends; exits 1 unless it succeeded."""
    info = ctx.client().wait_job(job, timeout=timeout)
    echo(f"{info.uri} {info.state.value}" + (f": {info.reason}" if info.reason else ""))
    if info.state.value != "JOB_SUCCESS":
        ctx.exit(1)


@stop.command("job")
@argument("job", metavar="PIPELINE@JOB-ID")
def stop_job(ctx: Context, job: str) -> None:
    """Kill a job; its output commit is finished with an error."""
    info = ctx.client().stop_job(job)
    echo(f"{info.uri} {info.state.value}")


@list_.command("datum")
@argument("job", required=False, metavar="[PIPELINE@JOB-ID]")
@option("-f", "--file", "spec", help="Preview the datums of a spec without creating it.")
@OUTPUT_OPTION
def list_datum(ctx: Context, job: str | None, spec: str | None, fmt: str) -> None:
    """List a job's datums, or preview a spec's datums with -f."""
    client = ctx.client()
    if spec:
        import sys

        datums = client.preview_datums(spec, stdin_text=sys.stdin.read() if spec == "-" else None)
        if fmt == "json":
            for d in datums:
                output.emit_data({"id": d.id, "inputs": [i.to_json() for i in d.items]})
            return
        output.table(
            ["ID", "FILES"],
            [
                [d.id, ", ".join(f"{i.name}@{i.commit[:8]}:{i.path}" for i in d.items)]
                for d in datums
            ],
        )
        return
    if not job:
        raise UsageError("give PIPELINE@JOB-ID, or -f SPEC to preview")
    infos = client.list_datum(job)
    if fmt == "json":
        output.emit_json(infos)
        return
    output.table(
        ["ID", "STATE", "ATTEMPTS", "TIME", "FILES"],
        [
            [
                d.id,
                d.state.value,
                str(d.attempts),
                f"{d.seconds:.2f}s" if d.seconds is not None else "-",
                ", ".join(f"{i['name']}:{i['path']}" for i in d.inputs),
            ]
            for d in infos
        ],
    )


@inspect.command("datum")
@argument("job", metavar="PIPELINE@JOB-ID")
@argument("datum_id")
@OUTPUT_OPTION
def inspect_datum(ctx: Context, job: str, datum_id: str, fmt: str) -> None:
    """Show a datum: state, inputs, outputs, attempts, timing (an ID prefix is enough)."""
    info = ctx.client().inspect_datum(job, datum_id)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Datum", info.id),
            ("Job", info.job),
            ("State", info.state.value),
            ("Reason", info.reason or "-"),
            ("Attempts", str(info.attempts)),
            ("Time", f"{info.seconds:.3f}s" if info.seconds is not None else "-"),
            ("Hash", info.hash),
            ("Inputs", ", ".join(f"{i['name']}@{i['commit']}:{i['path']}" for i in info.inputs)),
            ("Outputs", ", ".join(info.outputs) or "-"),
        ]
    )


@restart.command("datum")
@argument("job", metavar="PIPELINE@JOB-ID")
@argument("datum_ids", nargs=-1, required=True)
@triggers_jobs
def restart_datum(ctx: Context, job: str, datum_ids: tuple[str, ...]) -> None:
    """Process these datums (IDs or prefixes) again, in a new job."""
    echo(ctx.client().restart_datum(job, list(datum_ids)))


@command("logs", project_option=True)
@option("-p", "--pipeline", help="Logs of this pipeline's jobs.")
@option("-j", "--job", help="Logs of one job: PIPELINE@JOB-ID.")
@option("--datum", help="Logs of one datum (an ID prefix is enough).")
@option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C to stop).")
def logs(
    ctx: Context, pipeline: str | None, job: str | None, datum: str | None, follow: bool
) -> None:
    """Print what user code wrote to stdout and stderr, tagged with job, datum and stream."""
    client = ctx.client()
    if pipeline and not job and not datum:
        for raw in client.process_log(pipeline):  # spouts and services print here
            echo(f"{pipeline} {raw.split(' ', 1)[1] if ' ' in raw else raw}")
    last = 0
    while True:
        for line_id, line in client.logs(pipeline=pipeline, job=job, datum=datum, after=last):
            last = line_id
            tag = f"{line.job} {(line.datum or '-')[:12]} {line.stream}"
            echo(f"{tag} | {line.line}")
        if not follow:
            return
        time.sleep(0.5)
