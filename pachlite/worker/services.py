"""Services (reference §6.2): one long-running process on the single datum of the newest job.

When a newer job's inputs are ready, the running process is stopped (with every process it
started), its job finished with whatever it wrote to /pfs/out, and a new process started on
the new data. A datum that cannot be laid out, or a process that cannot start, fails its job
with the reason; the supervisor carries on. The process
listens on internal_port; a forwarder serves it on 127.0.0.1:<external_port>. State for
`pachlite list service` is kept in `<root>/services/<name>.json`.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pachlite.errors import PachliteError
from pachlite.model import JobState
from pachlite.pfs import commits, provenance
from pachlite.pfs.localfs import remove_tree
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commit_by_row_id
from pachlite.pfs.store import Store
from pachlite.pfs.tree import FILE, Entry, TreeEditor
from pachlite.pps.datums import Datum, generate
from pachlite.worker import jobs, outputs, process_tree
from pachlite.worker.datum import DatumContext, Prepared, failure_reason, prepare
from pachlite.worker.materialize import empty_inputs
from pachlite.worker.proxy import Forwarder
from pachlite.worker.spouts import Console, attach, kill_group, log_path


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
    spec: Mapping[str, Any]
    workdir: str
    console: Console
    job_row: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    prepared: Prepared | None = None
    group: process_tree.Group | None = None
    forwarder: Forwarder | None = None
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def ports(self) -> tuple[int, int]:
        service = self.spec.get("service") or (self.spec.get("spout") or {}).get("service") or {}
        internal = int(service.get("internalPort") or 0)
        return int(service.get("externalPort") or internal), internal

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
            last = self._last_served_job()
            if last is not None:
                self._resume(last)
        elif self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            self.console(self.name, f"service exited with code {code}; restarting")
            job = self.job_row
            self._stop_process()
            if job is not None:
                self._start(job)

    def _newest_ready_job(self) -> int | None:
        jobs.ensure_jobs(self.store)
        rows = self.store.db.all(
            "SELECT id FROM jobs WHERE pipeline_id = ? AND state NOT IN (?, ?, ?, ?) "
            "ORDER BY output_commit DESC",
            [self.pipeline_id, *[str(s) for s in JobState if s.terminal]],
        )
        ready = [
            r["id"] for r in rows if jobs.inputs_ready(self.store, jobs.load(self.store, r["id"]))
        ]
        if not ready:
            return None
        for older in ready[1:]:  # superseded before they ever served
            if older != self.job_row:
                self._close_job(older, JobState.SUCCESS, "superseded by a newer input commit")
        return int(ready[0])

    def _last_served_job(self) -> int | None:
        row = self.store.db.one(
            "SELECT id FROM jobs WHERE pipeline_id = ? AND state = ? "
            "ORDER BY output_commit DESC LIMIT 1",
            (self.pipeline_id, str(JobState.SUCCESS)),
        )
        return int(row["id"]) if row else None

    def _datums(
        self, job_row: int
    ) -> tuple[jobs.JobRecord, CommitRecord, list[CommitRecord], list[Datum]]:
        record = jobs.load(self.store, job_row)
        output = commit_by_row_id(self.store, record.row["output_commit"])
        inputs = provenance.upstream(self.store, output)
        datums = generate(record.spec.get("input"), jobs.listings(self.store, record.spec, inputs))
        return record, output, inputs, datums

    def _start(self, job_row: int) -> None:
        record, output, inputs, datums = self._datums(job_row)
        self.job_row = job_row
        if len(datums) != 1:
            self._close_job(
                job_row,
                JobState.FAILURE,
                f"services must have a single datum, this input has {len(datums)}",
            )
            self.job_row = None
            return
        datum = datums[0]
        _, base_tree = jobs.base_of(self.store, record, output)
        commits.set_content(self.store, output.id, base_tree)
        self.store.db.execute(
            "UPDATE jobs SET state = ?, started = ?, data_total = 1 WHERE id = ?",
            (str(JobState.RUNNING), time.time(), job_row),
        )
        error = self._launch(record, datum, output, inputs)
        if error:
            self._close_job(job_row, JobState.FAILURE, error)
            self.job_row = None

    def _resume(self, job_row: int) -> None:
        """Serve a finished job's data again; its commit stays as it is (no job, no output)."""
        record, output, inputs, datums = self._datums(job_row)
        if len(datums) == 1:
            self._launch(record, datums[0], output, inputs)

    def _launch(
        self,
        record: jobs.JobRecord,
        datum: Datum,
        output: CommitRecord,
        inputs: list[CommitRecord],
    ) -> str | None:
        """Start the process on the datum; the reason it could not start, or None."""
        ctx = DatumContext(
            pipeline=self.name,
            job_id=record.row["job_id"],
            spec=record.spec,
            workdir=self.workdir,
            scratch_root=self.store.root / "scratch",
            objects=self.store.objects,
            files_under=lambda item: jobs.files_under(self.store, item),
            extra_env={"PACHLITE_ROOT": str(self.store.root)},
        )
        scratch = self.store.root / "scratch" / record.row["job_id"] / "service"
        try:
            self.prepared = prepare(ctx, datum, scratch)
        except Exception as exc:
            return f"cannot prepare the service's datum: {failure_reason(exc)}"
        external, internal = self.ports
        if self.forwarder is None and external and internal and external != internal:
            self.forwarder = Forwarder(external, internal)
        log_file = log_path(self.store, self.name)
        process_tree.become_subreaper()
        group = process_tree.Group.new()
        try:
            self.proc = subprocess.Popen(
                self.prepared.argv,
                cwd=self.prepared.cwd,
                env=group.env(self.prepared.env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            self._drop_scratch()
            return f"cannot start the service: {getattr(exc, 'strerror', None) or exc}"
        self.group = group.started(self.proc.pid)
        self.readers = attach(self.proc, self.prepared.stdin, self.name, log_file, self.console)
        self._write_state("running", output)
        self.console(
            self.name,
            f"serving {self.url} on data {inputs[0].name}" if inputs else f"serving {self.url}",
        )
        return None

    @property
    def url(self) -> str:
        external, internal = self.ports
        return f"http://127.0.0.1:{external or internal}"

    def _write_state(self, state: str, output: CommitRecord | None) -> None:
        inputs = provenance.upstream(self.store, output) if output is not None else []
        (state_dir(self.store) / f"{self.name}.json").write_text(
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
            kill_group(self.proc)
            if self.group is not None:
                process_tree.kill_group(self.group)  # daemons it started, too
            for reader in self.readers:
                reader.join(timeout=2)
            self.proc = None
            self.group = None

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
        record = jobs.load(self.store, self.job_row)
        with self.store.db.atomic():
            if puts:
                output = commit_by_row_id(self.store, record.row["output_commit"])
                editor = TreeEditor(self.store.trees, output.tree)
                for put in puts:
                    editor.put(put.path, Entry(FILE, put.hash, put.size))
                tree, _ = editor.flush(self.store.save_tree)
                commits.set_content(self.store, output.id, tree)
            self._close_job(self.job_row, state, reason)
        self._drop_scratch()
        self.job_row = None

    def _drop_scratch(self) -> None:
        if self.prepared is not None:
            remove_tree(self.prepared.pfs.parent)
        self.prepared = None

    def _close_job(self, job_row: int, state: JobState, reason: str | None) -> None:
        record = jobs.load(self.store, job_row)
        error = None if state == JobState.SUCCESS else reason
        commits.close_commit(self.store, record.row["output_commit"], error=error)
        column = "data_processed" if state == JobState.SUCCESS else "data_failed"
        self.store.db.execute(
            f"UPDATE jobs SET {column} = 1, data_total = 1 WHERE id = ?", (job_row,)
        )
        jobs.set_state(self.store, job_row, state, reason)

    def stop(self) -> None:
        self._finish_current(JobState.SUCCESS, None)
        if self.forwarder is not None:
            self.forwarder.close()
            self.forwarder = None
        (state_dir(self.store) / f"{self.name}.json").unlink(missing_ok=True)
