"""Rendering for people (aligned tables, sizes, ages) and for programs (JSON)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from pachlite.cli.command import option

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Protocol

    class JsonValue(Protocol):
        def to_json(self) -> dict[str, Any]: ...


OUTPUT_OPTION = option(
    "-o",
    "--output",
    "fmt",
    choices=["text", "json"],
    default="text",
    show_default=True,
    help="json: one JSON object per line for lists, one object for inspect.",
)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write a line and flush it (as click.echo did: `logs -f` and pipes see lines at once)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


def emit_json(items: Sequence[JsonValue] | JsonValue, *, single: bool = False) -> None:
    import json  # only for `-o json`: a text listing loads no JSON codec

    if single:
        assert not isinstance(items, Sequence)
        echo(json.dumps(items.to_json(), indent=2, sort_keys=True))
        return
    assert isinstance(items, Sequence)
    for item in items:
        echo(json.dumps(item.to_json(), sort_keys=True))


def emit_data(data: dict[str, Any]) -> None:
    import json

    echo(json.dumps(data, indent=2, sort_keys=True))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for line in [headers, *rows]:
        echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def fields(pairs: Sequence[tuple[str, str]]) -> None:
    """`Key: value` lines, like pachctl's inspect output."""
    for key, value in pairs:
        echo(f"{key}: {value}")


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)}{unit}" if unit == "B" else f"{value:.4g}{unit}"
        value /= 1024
    return f"{n}B"  # pragma: no cover


def ago(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    delta = max(0.0, time.time() - timestamp)
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if delta >= seconds:
            count = int(delta // seconds)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) + f" ({ago(timestamp)})"


def is_terminal() -> bool:
    return sys.stderr.isatty()
