"""Transfer progress bars on a terminal; nothing at all when output is piped or logged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pachlite.cli.output import is_terminal


@contextmanager
def transfer(description: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """Yields a callback taking a byte count, or None when stderr is not a terminal."""
    if not is_terminal():
        yield None
        return
    # rich costs ~35 ms to import: pay it only when there is a terminal to draw on.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def advance(n: int) -> None:
            progress.update(task, advance=n)

        yield advance
