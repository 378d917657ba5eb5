"""Planning a job against the last successful one (docs/semantics.md §2.6): pure and cheap.

Datums only in the new job are processed; datums in both with the same hash whose earlier run
succeeded are skipped and keep their outputs; the rest are reprocessed after their old outputs
are deleted; datums that disappeared have their outputs deleted. `every_job` turns skipping off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pachlite.pps.datums import Datum

PROCESSED = "SUCCESS"


@dataclass(frozen=True, slots=True)
class Previous:
    """A datum as the base job left it."""

    id: str
    hash: str
    state: str
    outputs: Sequence[str]  # paths, in the order the datum recorded them


@dataclass(frozen=True)
class JobPlan:
    new: tuple[Datum, ...]
    changed: tuple[Datum, ...]
    skipped: tuple[tuple[Datum, Previous], ...]
    removed: tuple[Previous, ...]
    replaced: tuple[Previous, ...]  # what the base job recorded for the changed datums

    @property
    def to_process(self) -> tuple[Datum, ...]:
        # New datums first, then changed ones: Pachyderm's parallel and serial phases.
        return self.new + self.changed

    @property
    def total(self) -> int:
        return len(self.new) + len(self.changed) + len(self.skipped)

    @property
    def outputs_to_delete(self) -> list[str]:
        """Outputs of removed datums and of datums about to be reprocessed."""
        return [path for prev in self.removed + self.replaced for path in prev.outputs]


def plan_job(
    datums: Sequence[Datum], salt: str, base: Mapping[str, Previous], *, no_skip: bool = False
) -> JobPlan:
    new: list[Datum] = []
    changed: list[Datum] = []
    skipped: list[tuple[Datum, Previous]] = []
    seen: set[str] = set()
    for datum in datums:
        previous = base.get(datum.id)
        if previous is not None:
            seen.add(datum.id)  # only the base's IDs: what `removed` asks about
        if previous is None:
            new.append(datum)
        elif not no_skip and previous.state == PROCESSED and previous.hash == datum.hash(salt):
            skipped.append((datum, previous))
        else:
            changed.append(datum)
    removed = tuple(p for datum_id, p in base.items() if datum_id not in seen)
    replaced = tuple(base[d.id] for d in changed)
    return JobPlan(tuple(new), tuple(changed), tuple(skipped), removed, replaced)
