"""`pachlite up`, `list service`, and `draw`."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from pachlite.cli import output
from pachlite.cli.command import Context, Group, argument, command, option
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.cli.verbs import list_


@command("up")
@option(
    "-f",
    "--file",
    "spec_dir",
    default="pipelines",
    show_default=True,
    help="Directory (or file) of pipeline specs to create or update first.",
)
@option(
    "--until-idle",
    is_flag=True,
    help="Return once every spout has finished and no job is pending or running.",
)
@option(
    "--keep-services", is_flag=True, help="With --until-idle: keep services running until Ctrl-C."
)
@option(
    "--address",
    default=None,
    help="HOST:PORT for Pachyderm's gRPC API (default: $PACHLITE_ADDRESS, else "
    "127.0.0.1:30650; port 0 picks a free one).",
)
def up(
    ctx: Context, spec_dir: str, until_idle: bool, keep_services: bool, address: str | None
) -> None:
    """Run everything in the foreground: pipelines, jobs, spouts, services, cron ticks, and
    Pachyderm's gRPC API for pachyderm-sdk and pachctl.

    While it runs, commands that make commits return once the commit is made and this runs
    the jobs. Ctrl-C stops it all cleanly. Other pachlite commands keep working beside it."""
    client = ctx.client()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        echo("stopping: ending jobs, spouts and services...", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def console(source: str, line: str) -> None:
        echo(f"{time.strftime('%H:%M:%S')} {source:>12} | {line}", err=True)

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
            api=lambda: _api(client.store.root, _address(address), console),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _address(given: str | None) -> str:
    from pachlite.server import ADDRESS_ENV, DEFAULT_ADDRESS

    return given or os.environ.get(ADDRESS_ENV) or DEFAULT_ADDRESS


@contextmanager
def _api(root: Path, address: str, console: Callable[[str, str], None]) -> Iterator[str | None]:
    """Pachyderm's API beside the supervisor; without pachyderm-sdk (whose messages it
    speaks) `up` still runs everything else, and says so."""
    try:
        from pachlite.server.serving import serving
    except ImportError as missing:
        console("up", f"no gRPC API: {missing.name} is not installed (pip install pachyderm-sdk)")
        yield None
        return
    with serving(root, address) as bound:
        console("up", f"serving Pachyderm's API on {bound} (pachyderm-sdk, pachctl)")
        yield bound


@list_.command("service")
@OUTPUT_OPTION
def list_service(ctx: Context, fmt: str) -> None:
    """Services running under `pachlite up`: state, URL and the input commit served."""
    states = ctx.client().list_service()
    if fmt == "json":
        for state in states:
            echo(json.dumps(state, sort_keys=True))
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


draw = Group("draw", "Draw the pipeline DAG or the provenance of a commit.")


def _emit(graph: object, out: str | None) -> None:
    from pachlite import lineage

    assert isinstance(graph, lineage.Graph)
    if out is None:
        echo(lineage.render_text(graph), nl=False)
        return
    text = (
        lineage.render_html(graph) if out.endswith((".html", ".htm")) else lineage.render_svg(graph)
    )
    with open(out, "w") as handle:
        handle.write(text)
    echo(f"wrote {out}", err=True)


@draw.command("pipeline")
@option("-o", "--output", "out", help="Write SVG (or HTML if the name ends in .html).")
def draw_pipeline(ctx: Context, out: str | None) -> None:
    """Draw the DAG of repos and pipelines as text, or as SVG/HTML with -o."""
    _emit(ctx.client().pipeline_graph(), out)


@draw.command("commit")
@argument("commit", metavar="REPO@REF")
@option("-o", "--output", "out", help="Write SVG (or HTML if the name ends in .html).")
def draw_commit(ctx: Context, commit: str, out: str | None) -> None:
    """Draw a commit's provenance: commits, jobs, pipeline versions, images."""
    _emit(ctx.client().commit_graph(commit), out)
