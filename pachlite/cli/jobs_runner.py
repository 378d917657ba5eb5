"""Commands that make commits run the jobs they trigger before returning (with a progress bar
per job on a terminal); `--no-wait` leaves them for `pachlite up`. While a `pachlite up` runs
on the root, it is the daemon: these commands return once their commit is made, as pachctl's
do, and the daemon runs the jobs."""

from __future__ import annotations

import functools
from collections.abc import Callable

from pachlite.cli.command import Context, option
from pachlite.cli.output import echo, is_terminal

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from pachlite.cli.command import Callback


def triggers_jobs(command: Callback) -> Callback:
    """Add `--no-wait` to a command, and run the jobs it triggered unless that is given."""

    @option(
        "--no-wait", is_flag=True, help="Leave the jobs this triggers queued for `pachlite up`."
    )
    @functools.wraps(command)
    def wrapper(ctx: Context, *args: object, no_wait: bool, **kwargs: object) -> None:
        command(ctx, *args, **kwargs)
        if not no_wait:
            run_triggered_jobs(ctx)

    return wrapper


def run_triggered_jobs(ctx: Context) -> None:
    client = ctx.client()
    if not client.has_pipelines():
        return
    daemon = client.daemon()
    if daemon is not None:
        echo(
            f"jobs: run by `pachlite up` (pid {daemon.pid}); `pachlite wait commit` or "
            "`pachlite list job` follows them",
            err=True,
        )
        return

    def waiting() -> None:
        echo("waiting for another pachlite process that is running jobs...", err=True)

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
        echo(f"job {info.uri} {info.state.value} ({detail}){reason}", err=True)
