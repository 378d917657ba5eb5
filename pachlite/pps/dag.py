"""Ordering pipelines so each comes after the pipelines it reads: one function, one cycle error.

Creating a batch of specs, the scheduler, the cluster checks and the validation of one spec
against the pipelines that exist all ask the same question, so they share this answer. A cycle
is always an error naming it; nothing picks a pipeline to break one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pachlite.errors import InvalidArgument


class CycleError(InvalidArgument):
    """The pipelines read each other's outputs in a loop."""

    def __init__(self, cycle: list[str], prefix: str = "") -> None:
        self.cycle = cycle
        super().__init__(
            f"{prefix}the pipelines form a cycle: {' -> '.join(cycle)}", "break the cycle"
        )


def upstream_first(inputs: Mapping[str, Collection[str]]) -> list[str]:
    """The names of `inputs` (pipeline -> the repos it reads), each after every pipeline it
    reads. Repos that are not keys (input repos) impose no order. Round by round, every
    pipeline whose upstream pipelines are all placed is placed, in the mapping's order, so
    the order is stable. Raises CycleError naming a cycle if some pipelines can never be."""
    ordered: list[str] = []
    done: set[str] = set()
    pending = list(inputs)
    while pending:
        ready = [n for n in pending if all(r in done or r not in inputs for r in inputs[n])]
        if not ready:
            raise CycleError(_a_cycle(inputs, pending))
        ordered.extend(ready)
        done.update(ready)
        pending = [n for n in pending if n not in done]
    return ordered


def _a_cycle(inputs: Mapping[str, Collection[str]], pending: list[str]) -> list[str]:
    """Each pending pipeline reads at least one pending pipeline, so walking from the first
    one (to the first pending upstream by name) must come back to a pipeline already seen."""
    waiting = set(pending)
    path = [pending[0]]
    while True:
        step = min(r for r in inputs[path[-1]] if r in waiting)
        if step in path:
            return [*path[path.index(step) :], step]
        path.append(step)
