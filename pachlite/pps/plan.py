"""Planning a job against the last successful one (docs/semantics.md §2.6): pure and cheap.

Datums only in the new job are processed; datums in both with the same hash whose earlier run
succeeded are skipped and keep their outputs; the rest are reprocessed after their old outputs
are deleted; datums that disappeared have their outputs deleted. `every_job` turns skipping off.

The plan streams: datums are taken `BATCH` at a time, the base job's outcomes for that batch
looked up, and the skipped ones handed to a sink as they are found (the engine writes their
rows), so a job that skips a million datums holds one batch of them, not all. What the plan
keeps is what the job acts on: the datums to run, in containers the caller chooses (`hold`:
the engine's spill to disk past a point), and the base's outcomes it deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Protocol

from pachlite.pps.datums import Datum

PROCESSED = "SUCCESS"
BATCH = 10_000  # datums planned at a time


@dataclass(frozen=True, slots=True)
class Previous:
    """A datum as the base job left it."""

    id: str
    hash: str
    state: str
    outputs: Sequence[str]  # paths, in the order the datum recorded them


class Held(Protocol):
    """Where a plan keeps the datums to run: appended to in order, read back in order."""

    def append(self, datum: Datum, /) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Datum]: ...


@dataclass(frozen=True)
class JobPlan:
    new: Held
    changed: Held
    skipped: int  # how many: each was handed to the planner's sink and is not held
    removed: tuple[Previous, ...]
    replaced: tuple[Previous, ...]  # what the base job recorded for the changed datums

    def to_process(self) -> Iterator[Datum]:
        # New datums first, then changed ones: Pachyderm's parallel and serial phases.
        return chain(self.new, self.changed)

    @property
    def total(self) -> int:
        return len(self.new) + len(self.changed) + self.skipped

    @property
    def outputs_to_delete(self) -> list[str]:
        """Outputs of removed datums and of datums about to be reprocessed."""
        return [path for prev in self.removed + self.replaced for path in prev.outputs]


# The base's outcomes for some datum IDs (those it has); the skipped datums of one batch;
# the base's outcomes whose IDs the new job does not have, given how many of them it matched
# and the IDs of the matched ones it holds (the changed datums).
Lookup = Callable[[Sequence[str]], Mapping[str, Previous]]
Sink = Callable[[Sequence[tuple[Datum, Previous]]], None]
Removed = Callable[[int, frozenset[str]], Iterable[Previous]]


def plan_stream(
    datums: Iterable[Datum],
    salt: str,
    lookup: Lookup,
    skip: Sink,
    removed: Removed,
    *,
    no_skip: bool = False,
    batch: int = BATCH,
    hold: Callable[[], Held] = list,
) -> JobPlan:
    """Plan `datums` (no two with one ID) against the base that `lookup` reads."""
    new, changed = hold(), hold()
    replaced: list[Previous] = []
    matched = skipped = 0
    it = iter(datums)
    while chunk := list(islice(it, batch)):
        base = lookup([d.id for d in chunk])
        skips: list[tuple[Datum, Previous]] = []
        for datum in chunk:
            previous = base.get(datum.id)
            if previous is None:
                new.append(datum)
                continue
            matched += 1
            if not no_skip and previous.state == PROCESSED and previous.hash == datum.hash(salt):
                skips.append((datum, previous))
            else:
                changed.append(datum)
                replaced.append(previous)
        if skips:
            skip(skips)
            skipped += len(skips)
    gone = tuple(removed(matched, frozenset(d.id for d in changed)))
    return JobPlan(new, changed, skipped, gone, tuple(replaced))


def plan_job(
    datums: Sequence[Datum],
    salt: str,
    base: Mapping[str, Previous],
    *,
    no_skip: bool = False,
    skip: Sink | None = None,
) -> JobPlan:
    """`plan_stream` against a base held in memory (`skip` sees the skipped datums)."""
    seen: set[str] = set()

    def lookup(ids: Sequence[str]) -> Mapping[str, Previous]:
        found = {i: base[i] for i in ids if i in base}
        seen.update(found)
        return found

    def gone(_matched: int, _changed: frozenset[str]) -> Iterable[Previous]:
        return (p for datum_id, p in base.items() if datum_id not in seen)

    return plan_stream(datums, salt, lookup, skip or (lambda _: None), gone, no_skip=no_skip)
