"""Commands that make commits run the jobs they trigger before returning, like a cluster would
(with a progress bar per job on a terminal); `--no-wait` leaves them for `pachlite up`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pachlite.cli.output import is_terminal
from pachlite.cli.verbs import client_from

F = TypeVar("F", bound=Callable[..., Any])


def triggers_jobs[F: Callable[..., Any]](command: F) -> F:
    @click.option(
        "--no-wait", is_flag=True, help="Leave the jobs this triggers queued for `pachlite up`."
    )
    @functools.wraps(command)
    def wrapper(*args: Any, no_wait: bool, **kwargs: Any) -> Any:
        result = command(*args, **kwargs)
        if not no_wait:
            run_triggered_jobs(click.get_current_context())
        return result

    return wrapper  # type: ignore[return-value]


def run_triggered_jobs(ctx: click.Context) -> None:
    client = client_from(ctx)
    if not client.has_pipelines():
        return

    def waiting() -> None:
        click.echo("waiting for another pachlite process that is running jobs...", err=True)

    if not is_terminal():
        ran = client.run_pending(on_wait=waiting)
    else:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("datums"),
            console=Console(stderr=True),
            transient=True,
        ) as bars:

            def factory(pipeline: str, job_id: str, total: int) -> Callable[[int, int], None]:
                task = bars.add_task(f"{pipeline}@{job_id[:8]}", total=total or None)

                def update(done: int, total: int) -> None:
                    bars.update(task, completed=done, total=total)

                return update

            ran = client.run_pending(progress=factory, on_wait=waiting)
    for job in ran:
        info = client.inspect_job(f"{job.pipeline}@{job.job_id}")
        detail = (
            f"{info.data_processed} processed, {info.data_skipped} skipped, "
            f"{info.data_failed} failed, {info.data_recovered} recovered of {info.data_total}"
        )
        reason = f": {info.reason}" if info.reason else ""
        click.echo(f"job {info.uri} {info.state.value} ({detail}){reason}", err=True)
