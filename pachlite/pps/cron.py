"""Cron schedules as Pachyderm parses them (robfig/cron ParseStandard plus @never, §2.8).

Five fields (minute hour day-of-month month day-of-week) with `*`, `a-b`, `/step`, lists and
three-letter names; the descriptors @yearly @annually @monthly @weekly @daily @midnight
@hourly; `@every <Go duration>` ("90s", "1h30m"); `@never` (only `run cron` ticks it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pachlite.errors import InvalidArgument

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]  # Sunday is 0 or 7
_NAMES = [
    {},
    {},
    {},
    {
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
]
_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")
_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class Schedule:
    text: str
    every: float | None = None  # seconds, for @every
    fields: tuple[frozenset[int], ...] | None = None  # for 5-field specs
    never: bool = False

    def next_after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after `moment` (UTC), or None for @never."""
        if self.never:
            return None
        if self.every is not None:
            return moment + timedelta(seconds=self.every)
        assert self.fields is not None
        minutes, hours, days, months, weekdays = self.fields
        t = (moment.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        for _ in range(366 * 24 * 60 * 5):  # five years of minutes at most
            if (
                t.month in months
                and self._day_matches(t, days, weekdays)
                and t.hour in hours
                and t.minute in minutes
            ):
                return t
            t += timedelta(minutes=1)
        return None  # pragma: no cover - e.g. "0 0 31 2 *" never fires

    def _day_matches(self, t: datetime, days: frozenset[int], weekdays: frozenset[int]) -> bool:
        # Like cron: when both day fields are restricted, either may match.
        assert self.fields is not None
        dom_star = len(days) == 31
        dow_star = len(weekdays) == 7
        dom, dow = t.day in days, (t.isoweekday() % 7) in weekdays
        if dom_star or dow_star:
            return dom and dow
        return dom or dow


def parse_schedule(text: str) -> Schedule:
    spec = text.strip()
    if not spec:
        raise InvalidArgument("cron input needs `spec`", 'e.g. "@every 60s" or "*/5 * * * *"')
    if spec == "@never":
        return Schedule(spec, never=True)
    if spec.startswith("@every"):
        duration = spec[len("@every") :].strip()
        if not _GO_DURATION.match(duration):
            raise InvalidArgument(
                f"cron spec {text!r}: {duration!r} is not a duration", 'write e.g. "@every 90s"'
            )
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _GO_PART.findall(duration))
        if seconds <= 0:
            raise InvalidArgument(f"cron spec {text!r}: the interval must be positive")
        return Schedule(spec, every=seconds)
    spec = _DESCRIPTORS.get(spec, spec)
    parts = spec.split()
    if len(parts) != 5:
        raise InvalidArgument(
            f"cron spec {text!r} has {len(parts)} fields, not 5",
            "minute hour day-of-month month day-of-week, or @hourly/@daily/@every 60s",
        )
    fields = tuple(_field(p, i, text) for i, p in enumerate(parts))
    return Schedule(spec, fields=fields)


def _field(part: str, index: int, text: str) -> frozenset[int]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for piece in part.lower().split(","):
        body, _, step_text = piece.partition("/")
        step = _number(step_text, index, text) if step_text else 1
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = _number(a, index, text), _number(b, index, text)
        else:
            start = _number(body, index, text)
            end = high if step_text else start
        if not (low <= start <= end <= high) or step < 1:
            raise InvalidArgument(f"cron spec {text!r}: {piece!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # Sunday may be written 7
        values.discard(7)
        values.add(0)
    return frozenset(values)


def _number(token: str, index: int, text: str) -> int:
    if token in _NAMES[index]:
        return _NAMES[index][token]
    if index == 4 and token == "7":
        return 7
    if not token.isdigit():
        raise InvalidArgument(f"cron spec {text!r}: {token!r} is not a number")
    return int(token)


def tick_name(moment: datetime) -> str:
    """The file a tick writes: its time in RFC 3339, UTC (e.g. 2024-05-01T10:00:00Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
