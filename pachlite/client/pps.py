"""The PPS half of `pachlite.Client`: pipelines, jobs, datums, logs, cron, running jobs."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pachlite.model import DatumInfo, JobInfo, LogLine, PipelineInfo
from pachlite.pfs.store import Store
from pachlite.pps import spec as specs
from pachlite.pps.datums import Datum
from pachlite.worker import job_info, pipelines, scheduler


class PpsVerbs:
    store: Store

    def create_pipeline(
        self,
        spec: str | os.PathLike[str] | dict[str, Any],
        *,
        update: bool = False,
        reprocess: bool = False,
        stdin_text: str | None = None,
        workdir: str | None = None,
    ) -> list[PipelineInfo]:
        """Create (or with update, update) the pipelines in a spec file, directory, '-' or dict.

        `workdir` is where user code runs locally (default: the current directory)."""
        if isinstance(spec, dict):
            source = "<spec>"
            normalized = specs.normalize(spec, source)
            specs.validate_schema(normalized, source)
            batch = [(source, normalized)]
        else:
            batch = pipelines.read_specs(str(spec), stdin_text)
        return pipelines.create_pipelines(
            self.store, batch, update=update, reprocess=reprocess, workdir=workdir
        )

    def update_pipeline(
        self,
        spec: str | os.PathLike[str] | dict[str, Any],
        *,
        reprocess: bool = False,
        stdin_text: str | None = None,
        workdir: str | None = None,
    ) -> list[PipelineInfo]:
        return self.create_pipeline(
            spec, update=True, reprocess=reprocess, stdin_text=stdin_text, workdir=workdir
        )

    def list_pipeline(self) -> list[PipelineInfo]:
        return pipelines.list_pipelines(self.store)

    def inspect_pipeline(self, name: str) -> PipelineInfo:
        return pipelines.inspect_pipeline(self.store, name)

    def delete_pipeline(self, name: str, *, keep_repo: bool = False, force: bool = False) -> None:
        pipelines.delete_pipeline(self.store, name, keep_repo=keep_repo, force=force)

    def stop_pipeline(self, name: str) -> None:
        pipelines.set_stopped(self.store, name, True)

    def start_pipeline(self, name: str) -> None:
        pipelines.set_stopped(self.store, name, False)

    def list_job(self, *, pipeline: str | None = None, job_id: str | None = None) -> list[JobInfo]:
        return job_info.list_jobs(self.store, pipeline=pipeline, job_id=job_id)

    def inspect_job(self, job: str) -> JobInfo:
        """`pipeline@job-id`."""
        return job_info.inspect_job(self.store, *job_info.parse_job(job))

    def wait_job(self, job: str, *, timeout: float | None = None) -> JobInfo:
        return job_info.wait_job(self.store, *job_info.parse_job(job), timeout=timeout)

    def stop_job(self, job: str) -> JobInfo:
        return job_info.stop_job(self.store, *job_info.parse_job(job))

    def list_datum(self, job: str) -> list[DatumInfo]:
        return job_info.list_datums(self.store, *job_info.parse_job(job))

    def preview_datums(
        self, spec: str | os.PathLike[str], *, stdin_text: str | None = None
    ) -> list[Datum]:
        """The datums a spec would process now, without creating the pipeline."""
        out: list[Datum] = []
        for source, user_spec in pipelines.read_specs(str(spec), stdin_text):
            out.extend(pipelines.preview_datums(self.store, user_spec, source))
        return out

    def inspect_datum(self, job: str, datum_id: str) -> DatumInfo:
        return job_info.inspect_datum(self.store, *job_info.parse_job(job), datum_id)

    def restart_datum(self, job: str, datum_ids: list[str]) -> str:
        """Reprocess these datums in a new job; returns its ID."""
        return job_info.restart_datums(self.store, *job_info.parse_job(job), datum_ids)

    def logs(
        self,
        *,
        pipeline: str | None = None,
        job: str | None = None,
        datum: str | None = None,
        after: int = 0,
    ) -> list[tuple[int, LogLine]]:
        job_pipeline, job_id = job_info.parse_job(job) if job else (None, None)
        return job_info.logs(
            self.store,
            pipeline=pipeline or job_pipeline,
            job_id=job_id,
            datum_id=datum,
            after=after,
        )

    def run_cron(self, pipeline: str) -> list[str]:
        return job_info.run_cron(self.store, pipeline)

    def run_pending(
        self,
        *,
        progress: scheduler.ProgressFactory | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> list[scheduler.RanJob]:
        """Run every job that is ready (and what those make ready), in DAG order."""
        return scheduler.run_pending(self.store, progress=progress, on_wait=on_wait)
