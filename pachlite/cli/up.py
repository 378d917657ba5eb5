"""`pachlite up`, `list service`, and `draw`."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from types import FrameType

import click

from pachlite.cli import output
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import client_from, list_


@click.command("up")
@click.option(
    "-f",
    "--file",
    "spec_dir",
    default="pipelines",
    show_default=True,
    help="Directory (or file) of pipeline specs to create or update first.",
)
@click.option(
    "--until-idle",
    is_flag=True,
    help="Return once every spout has finished and no job is pending or running.",
)
@click.option(
    "--keep-services", is_flag=True, help="With --until-idle: keep services running until Ctrl-C."
)
@click.pass_context
def up(ctx: click.Context, spec_dir: str, until_idle: bool, keep_services: bool) -> None:
    """Run everything in the foreground: pipelines, jobs, spouts, services, cron ticks.

    Ctrl-C stops it all cleanly. Other pachlite commands keep working beside it."""
    client = client_from(ctx)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        click.echo("stopping: ending jobs, spouts and services...", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def console(source: str, line: str) -> None:
        click.echo(f"{time.strftime('%H:%M:%S')} {source:>12} | {line}", err=True)

    def on_job(ran: object) -> None:
        info = client.inspect_job(f"{ran.pipeline}@{ran.job_id}")  # type: ignore[attr-defined]
        console(
            info.pipeline,
            f"job {info.id} {info.state.value} ({info.data_processed} processed, "
            f"{info.data_skipped} skipped, {info.data_failed} failed)"
            + (f": {info.reason}" if info.reason else ""),
        )

    try:
        client.up(
            spec_dir if os.path.exists(spec_dir) else None,
            until_idle=until_idle,
            keep_services=keep_services,
            console=console,
            stop=stop,
            on_job=on_job,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@list_.command("service")
@OUTPUT_OPTION
@click.pass_context
def list_service(ctx: click.Context, fmt: str) -> None:
    """Services running under `pachlite up`: state, URL and the input commit served."""
    states = client_from(ctx).list_service()
    if fmt == "json":
        for state in states:
            click.echo(json.dumps(state, sort_keys=True))
        return
    output.table(
        ["NAME", "STATE", "URL", "INPUT COMMIT", "SINCE"],
        [
            [
                s["name"],
                s["state"],
                s["url"],
                ", ".join(s["input_commits"]) or "-",
                output.ago(s["since"]),
            ]
            for s in states
        ],
    )


@click.group()
def draw() -> None:
    """Draw the pipeline DAG or the provenance of a commit."""


def _emit(graph: object, out: str | None) -> None:
    from pachlite import lineage

    assert isinstance(graph, lineage.Graph)
    if out is None:
        click.echo(lineage.render_text(graph), nl=False)
        return
    text = (
        lineage.render_html(graph) if out.endswith((".html", ".htm")) else lineage.render_svg(graph)
    )
    with open(out, "w") as handle:
        handle.write(text)
    click.echo(f"wrote {out}", err=True)


@draw.command("pipeline")
@click.option("-o", "--output", "out", help="Write SVG (or HTML if the name ends in .html).")
@click.pass_context
def draw_pipeline(ctx: click.Context, out: str | None) -> None:
    """Draw the DAG of repos and pipelines as text, or as SVG/HTML with -o."""
    _emit(client_from(ctx).pipeline_graph(), out)


@draw.command("commit")
@click.argument("commit", metavar="REPO@REF")
@click.option("-o", "--output", "out", help="Write SVG (or HTML if the name ends in .html).")
@click.pass_context
def draw_commit(ctx: click.Context, commit: str, out: str | None) -> None:
    """Draw a commit's provenance: commits, jobs, pipeline versions, images."""
    _emit(client_from(ctx).commit_graph(commit), out)
