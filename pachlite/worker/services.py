"""Services (docs/semantics.md §6.2): one long-running process on the newest job's one datum.

When a newer job's inputs are ready, the running process is stopped (with every process it
started), its job finished with whatever it wrote to /pfs/out, and a new process started on
the new data. Each job goes through the same `JobLifecycle` as a batch job: begun, its
output merged, finished with a state and reason. A datum that cannot be laid out, or a
process that cannot start, fails its job with the reason; the supervisor carries on. The
process listens on internal_port; a forwarder serves it on 127.0.0.1:<external_port>. State
for `pachlite list service` is kept in `<root>/services/<name>.json`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pachlite.errors import PachliteError
from pachlite.model import DatumState, JobState
from pachlite.paths import file_stem
from pachlite.pfs.localfs import remove_tree
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.store import Store
from pachlite.pps.datums import Datum
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.pps.pipeline_spec import Service as ServiceSpec
from pachlite.ppsdb import jobs as job_table
from pachlite.worker import outputs, process
from pachlite.worker.datum import Prepared, failure_reason, prepare
from pachlite.worker.lifecycle import JobLifecycle
from pachlite.worker.materialize import empty_inputs
from pachlite.worker.proxy import Forwarder
from pachlite.worker.spouts import Console, log_path


def state_dir(store: Store) -> Path:
    folder = store.root / "services"
    folder.mkdir(exist_ok=True)
    return folder


def read_states(store: Store) -> list[dict[str, Any]]:
    folder = store.root / "services"  # read without creating it: the store may be read-only
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


@dataclass
class Service:
    store: Store
    name: str
    pipeline_id: int
    spec: PipelineSpec
    workdir: str
    console: Console
    job_row: int | None = None
    proc: process.Process | None = None
    prepared: Prepared | None = None
    forwarder: Forwarder | None = None

    @property
    def ports(self) -> tuple[int, int]:
        """(external, internal)."""
        return (self.spec.served or ServiceSpec()).ports

    def poll(self) -> None:
        """Follow the newest ready job: (re)start on new data, restart a crashed process. A
        failure of the job it serves ends that job FAILURE; the supervisor goes on."""
        try:
            self._poll()
        except Exception as exc:
            job, self.job_row = self.job_row, None
            self._stop_process()
            self._drop_scratch()
            reason = failure_reason(exc)
            self.console(self.name, f"service failed: {reason}")
            if job is not None:
                self._close_job(job, JobState.FAILURE, reason)

    def _poll(self) -> None:
        newest = self._newest_ready_job()
        if newest is not None and newest != self.job_row:
            self._finish_current(JobState.SUCCESS, None)
            self._start(newest)
        elif newest is None and self.proc is None:
            # Nothing new since an earlier `up` stopped: serve the last served data again,
            # as a Pachyderm service keeps running between input commits.
            last = job_table.last_succeeded(self.store.db, self.pipeline_id)
            if last is not None:
                self._resume(last)
        elif self.proc is not None and (code := self.proc.poll()) is not None:
            self.console(self.name, f"service exited with code {code}; restarting")
            job = self.job_row
            self._stop_process()
            if job is not None:
                self._start(job)

    def _newest_ready_job(self) -> int | None:
        job_table.ensure(self.store.db)
        ready = [
            job_row
            for job_row in job_table.open_of(self.store.db, self.pipeline_id)
            if JobLifecycle.load(self.store, job_row).inputs_ready()
        ]
        if not ready:
            return None
        for older in ready[1:]:  # superseded before they ever served
            if older != self.job_row:
                self._close_job(older, JobState.SUCCESS, "superseded by a newer input commit")
        return ready[0]

    def _start(self, job_row: int) -> None:
        job = JobLifecycle.load(self.store, job_row)
        inputs = job.inputs()
        datums = job.datums(inputs)
        self.job_row = job_row
        if len(datums) != 1:
            self._close_job(
                job_row,
                JobState.FAILURE,
                f"services must have a single datum, this input has {len(datums)}",
            )
            self.job_row = None
            return
        job.reset_output()
        job.begin(data_total=1)
        error = self._launch(job, datums[0], inputs)
        if error:
            self._close_job(job_row, JobState.FAILURE, error)
            self.job_row = None

    def _resume(self, job_row: int) -> None:
        """Serve a finished job's data again; its commit stays as it is (no job, no output)."""
        job = JobLifecycle.load(self.store, job_row)
        inputs = job.inputs()
        datums = job.datums(inputs)
        if len(datums) == 1:
            self._launch(job, datums[0], inputs)

    def _launch(self, job: JobLifecycle, datum: Datum, inputs: list[CommitRecord]) -> str | None:
        """Start the process on the datum; the reason it could not start, or None."""
        ctx = job.datum_context(workdir=self.workdir, extra_env={})
        scratch = job.scratch / "service"
        try:
            self.prepared = prepare(ctx, datum, scratch)
        except Exception as exc:
            return f"cannot prepare the service's datum: {failure_reason(exc)}"
        external, internal = self.ports
        if self.forwarder is None and external and internal and external != internal:
            self.forwarder = Forwarder(external, internal)
        sink = process.log_file_sink(log_path(self.store, self.name), self.name, self.console)
        try:
            self.proc = process.start(
                self.prepared.argv,
                cwd=self.prepared.cwd,
                env=self.prepared.env,
                stdin=self.prepared.stdin,
                sink=sink,
            )
        except (OSError, ValueError) as exc:
            self._drop_scratch()
            return f"cannot start the service: {getattr(exc, 'strerror', None) or exc}"
        self._write_state("running", inputs)
        self.console(
            self.name,
            f"serving {self.url} on data {inputs[0].name}" if inputs else f"serving {self.url}",
        )
        return None

    @property
    def url(self) -> str:
        external, internal = self.ports
        return f"http://127.0.0.1:{external or internal}"

    def _write_state(self, state: str, inputs: list[CommitRecord]) -> None:
        (state_dir(self.store) / f"{file_stem(self.name)}.json").write_text(
            json.dumps(
                {
                    "name": self.name,
                    "state": state,
                    "url": self.url,
                    "input_commits": [c.name for c in inputs],
                    "pid": self.proc.pid if self.proc else None,
                    "since": time.time(),
                }
            )
        )

    def _stop_process(self) -> None:
        if self.proc is not None:
            # Daemons it started, too.
            self.proc.end(grace_s=process.STOP_GRACE_S, drain_s=process.DRAIN_S)
            self.proc = None

    def _finish_current(self, state: JobState, reason: str | None) -> None:
        """Stop the process; its job ends with what it wrote to /pfs/out."""
        self._stop_process()
        if self.job_row is None:  # nothing running, or a resumed service: no job to end
            self._drop_scratch()
            return
        puts = []
        if self.prepared is not None and state == JobState.SUCCESS:
            pfs = self.prepared.pfs
            try:
                empty = empty_inputs(self.spec)
                puts = outputs.collect(
                    self.store.objects, pfs / "out", pfs, self.prepared.layout, empty
                )
            except PachliteError as exc:
                state, reason = JobState.FAILURE, f"bad output: {exc}"
        job = JobLifecycle.load(self.store, self.job_row)
        with self.store.db.atomic():
            if puts:
                job.merge(job.output().tree, puts)
            self._close_job(self.job_row, state, reason)
        self._drop_scratch()
        self.job_row = None

    def _drop_scratch(self) -> None:
        if self.prepared is not None:
            remove_tree(self.prepared.pfs.parent)
        self.prepared = None

    def _close_job(self, job_row: int, state: JobState, reason: str | None) -> None:
        """End a job of this service, its single datum counted as processed or failed."""
        with self.store.db.atomic():
            datum = DatumState.SUCCESS if state == JobState.SUCCESS else DatumState.FAILED
            job_table.set_single_datum(self.store.db, job_row, datum)
            JobLifecycle.load(self.store, job_row).finish(state, reason)

    def stop(self) -> None:
        self._finish_current(JobState.SUCCESS, None)
        if self.forwarder is not None:
            self.forwarder.close()
            self.forwarder = None
        (state_dir(self.store) / f"{file_stem(self.name)}.json").unlink(missing_ok=True)
