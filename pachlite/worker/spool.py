"""The datums a job is about to run, held in memory up to a point and on disk beyond it.

A job's plan keeps the datums it will run (`pps.plan.JobPlan.new`, `.changed`). A first job
over a million-file input would hold a million `Datum`s (~0.7 KiB each with their items) for
the whole run; the spool keeps `IN_MEMORY` of them and pickles the rest, a batch at a time,
into the job's scratch directory, which every way a job ends removes (and a rerun after a
crash clears). Reading streams the batches back in order: a job holds one batch of its pending
datums, not all of them.

Pickle because the file is this process's own, written and read within one job, never a
format anyone else reads (the datum rows in SQLite are that).
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator
from pathlib import Path

from pachlite.pps.datums import Datum

IN_MEMORY = 10_000  # datums held before the spool starts writing to disk
BATCH = 10_000  # datums per pickled batch


class DatumSpool:
    """An append-only sequence of datums (`len`, iteration in order), spilled to `path`."""

    _names = itertools.count()

    def __init__(self, directory: Path, in_memory: int = 0, batch: int = 0) -> None:
        self.directory = directory
        self.in_memory = in_memory or IN_MEMORY
        self.batch = batch or BATCH
        self.path: Path | None = None
        self.held: list[Datum] = []  # the first IN_MEMORY, then the batch being filled
        self.spilled = 0  # datums written to the file
        self.length = 0

    def append(self, datum: Datum) -> None:
        self.held.append(datum)
        self.length += 1
        if len(self.held) >= self.in_memory + self.batch:
            self._spill(self.held[self.in_memory :])
            del self.held[self.in_memory :]

    def _spill(self, batch: list[Datum]) -> None:
        if self.path is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / f"datums-{next(self._names)}.pickle"
        with self.path.open("ab") as out:
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.spilled += len(batch)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Datum]:
        # In append order: the first IN_MEMORY, then the file's batches, then the batch not
        # yet spilled.
        yield from self.held[: self.in_memory]
        if self.path is not None:
            with self.path.open("rb") as spilled:
                for _ in range(self.spilled // self.batch):
                    yield from pickle.load(spilled)
        yield from self.held[self.in_memory :]
