"""One job from its start to its end, the same for batch jobs and services.

`JobLifecycle.load` reads a job with its pipeline and the spec version it runs. `begin`
makes it RUNNING with fresh counters and nothing recorded from an earlier run (a crash
rerun starts clean); `reset_output` sets its output commit to the last successful job's
content; `merge` puts what its datums wrote on top; `finish` closes the output commit (with
the reason, unless it succeeded) and ends the job in one transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pachlite.model import JobState
from pachlite.pfs import commits, provenance
from pachlite.pfs.files import Put
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commit_by_id, commit_by_row_id, require_repo
from pachlite.pfs.store import Store
from pachlite.pfs.tree import EMPTY_TREE, FILE, Entry, TreeEditor
from pachlite.pps.datums import Datum, InputCommit, Item, generate, stream
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.ppsdb import datums as datum_table
from pachlite.ppsdb import jobs as job_table
from pachlite.ppsdb import logs as log_table
from pachlite.ppsdb import pipelines as pipeline_table
from pachlite.ppsdb.records import JobRecord, PipelineRecord
from pachlite.worker.datum import DatumContext
from pachlite.worker.listing import input_commit


@dataclass(frozen=True)
class JobLifecycle:
    store: Store
    job: JobRecord
    pipeline: PipelineRecord  # at its current version
    spec: PipelineSpec  # the effective spec of the version the job runs
    spec_hash: str

    @staticmethod
    def load(store: Store, job_row_id: int) -> JobLifecycle:
        job = job_table.get(store.db, job_row_id)
        pipeline = pipeline_table.by_id(store.db, job.pipeline_id)
        version = pipeline_table.version(store.db, job.pipeline_id, job.version)
        return JobLifecycle(store, job, pipeline, version.spec, version.spec_hash)

    @property
    def id(self) -> int:
        return self.job.id

    @property
    def spec_commit(self) -> str:
        """What Pachyderm puts in PPS_SPEC_COMMIT (its spec repo's commit ID, 32 hex digits):
        pachlite has no spec repo, so the job's pipeline version is named by its spec hash."""
        return self.spec_hash[:32]

    def output(self) -> CommitRecord:
        assert self.job.output_commit is not None, f"job {self.job.job_id} has no output commit"
        return commit_by_row_id(self.store, self.job.output_commit)

    def inputs(self) -> list[CommitRecord]:
        """The input commits: the output commit's direct provenance."""
        return provenance.upstream(self.store, self.output())

    def inputs_ready(self) -> bool:
        return all(c.finished is not None for c in self.inputs())

    @property
    def scratch(self) -> Path:
        """This job's scratch folder, `scratch/<project>/<pipeline>/<job ID>`: the job ID is
        its commit set's (docs/semantics.md §5.2), shared by every pipeline's job in it, so
        the pipeline is part of the path and two jobs of one commit set can run at once."""
        scratch = self.store.root / "scratch" / self.spec.project
        return scratch / self.spec.name / self.job.job_id

    def state(self) -> JobState:
        return job_table.state(self.store.db, self.id)

    def datums(self, inputs: list[CommitRecord]) -> list[Datum]:
        """The datums of the input commits, as the spec's input tree makes them."""
        return generate(self.spec.input, self._listings(inputs))

    def datum_stream(self, inputs: list[CommitRecord]) -> Iterator[Datum]:
        """`datums`, made one at a time where the input allows it (`pps.datums.stream`)."""
        return stream(self.spec.input, self._listings(inputs))

    def _listings(self, inputs: list[CommitRecord]) -> dict[tuple[str, str] | str, InputCommit]:
        by_repo = {c.repo: c for c in inputs}
        listings: dict[tuple[str, str] | str, InputCommit] = {}
        for leaf in self.spec.leaves():
            commit = by_repo.get(leaf.repo)
            if commit is not None:
                listings[(leaf.name, leaf.repo)] = input_commit(self.store, commit, leaf.branch)
        return listings

    def datum_context(self, *, workdir: str, extra_env: Mapping[str, str]) -> DatumContext:
        return DatumContext(
            pipeline=self.pipeline.name,
            job_id=self.job.job_id,
            spec=self.spec,
            workdir=workdir,
            scratch=self.scratch,
            objects=self.store.objects,
            files_under=lambda item: files_under(self.store, item),
            extra_env={"PACHLITE_ROOT": str(self.store.root), **extra_env},
        )

    def begin(self, *, data_total: int = 0, git_commit: str | None = None) -> None:
        """RUNNING from now, counters zeroed, no datum or log line left from an earlier run."""
        job_table.begin(self.store.db, self.id, git_commit=git_commit, data_total=data_total)
        datum_table.clear(self.store.db, self.id)
        log_table.clear(self.store.db, self.id)

    def base(self) -> tuple[JobRecord | None, str]:
        """The last successful job among the output commit's ancestors, and its content."""
        parent = self.output().parent
        while parent is not None:
            commit = commit_by_row_id(self.store, parent)
            job = job_table.succeeded_on(self.store.db, self.job.pipeline_id, parent)
            if job is not None:
                return job, str(commit.tree)
            parent = commit.parent
        return None, EMPTY_TREE

    def reset_output(self) -> tuple[JobRecord | None, str]:
        """Set the output commit to the base's content (`base`), and return the base."""
        base_job, base_tree = self.base()
        commits.set_content(self.store, self.output().id, base_tree)
        return base_job, base_tree

    def merge(self, base_tree: str, puts: Iterable[Put], deletes: Iterable[str] = ()) -> None:
        """The output commit's content: `base_tree` without `deletes`, with `puts` (taken one
        at a time, never listed: a million-datum job frees its outputs as they are placed)."""
        deletes, puts = list(deletes), iter(puts)
        first = next(puts, None)
        if first is None and not deletes:
            return  # every datum skipped: the content `reset_output` set stays
        editor = TreeEditor(self.store.trees, base_tree)
        for path in deletes:
            editor.delete(path)
        for put in itertools.chain((first,) if first else (), puts):
            editor.put(put.path, Entry(FILE, put.hash, put.size))
        tree, _ = editor.flush(self.store.save_tree)
        commits.set_content(self.store, self.output().id, tree)

    def finish(self, state: JobState, reason: str | None, *, keep_state: bool = False) -> JobState:
        """Close the output commit (with `reason` as its error unless SUCCESS) and end the job
        in `state`, or, with keep_state (a job stopped while it ran), in the state and reason
        the stop gave it. Returns the state the job ended in."""
        with self.store.db.atomic():
            error = None if state == JobState.SUCCESS else reason
            commits.close_commit(self.store, self.output().id, error=error)
            if keep_state:
                job_table.set_finished(self.store.db, self.id)
            else:
                job_table.set_state(self.store.db, self.id, state, reason)
        return self.state()


def files_under(store: Store, item: Item) -> Iterator[tuple[str, str, int]]:
    """The files an input item names (itself, or every file under a directory). A file item
    carries its hash and size, so only a directory's commit is looked up (its tree)."""
    if not item.is_dir:
        yield item.path.rstrip("/") or "/", item.hash, item.size
        return
    commit = commit_by_id(store, require_repo(store, item.repo), item.commit)
    assert commit is not None
    path = item.path.rstrip("/") or "/"
    root = Entry("d", commit.tree, 0) if path == "/" else store.trees.lookup(commit.tree, path)
    assert root is not None
    for file_path, entry in store.trees.files(root, path):
        yield file_path, entry.hash, entry.size
