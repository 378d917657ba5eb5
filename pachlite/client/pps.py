"""The PPS half of `pachlite.Client`: pipelines, jobs, datums, logs, cron, running jobs."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

from pachlite.paths import DEFAULT_PROJECT, validate_key

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time

# The pipeline machinery (spec parsing with yaml and jsonschema, the worker) is imported by the
# verbs that use it, so a client that only reads repos and files starts without it.
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any

    from pachlite.lineage import Graph
    from pachlite.model import DatumInfo, JobInfo, LogLine, PipelineInfo
    from pachlite.pfs.store import Store
    from pachlite.pps.datums import Datum
    from pachlite.pps.spec import Spec
    from pachlite.worker import scheduler
    from pachlite.worker.daemon import Daemon


class PpsVerbs:
    store: Store
    project: str  # where a pipeline named without a project is (PfsVerbs.project)

    def _pipeline(self, name: str) -> str:
        """A pipeline's key: `project/name` as given, or `name` in `self.project`."""
        return validate_key("pipeline", name, self.project)

    def _job(self, job: str) -> tuple[str, str]:
        """(pipeline key, job ID) of `[project/]pipeline@job-id`."""
        from pachlite.worker import job_info

        pipeline, job_id = job_info.parse_job(job)
        return self._pipeline(pipeline), job_id

    def create_pipeline(
        self,
        spec: str | os.PathLike[str] | Spec,
        *,
        update: bool = False,
        reprocess: bool = False,
        stdin_text: str | None = None,
        workdir: str | None = None,
    ) -> list[PipelineInfo]:
        """Create (or with update, update) the pipelines in a spec file, directory, '-' or dict.

        `workdir` is where user code runs locally (default: the current directory)."""
        from pachlite.pps import spec as specs
        from pachlite.worker import pipelines

        if isinstance(spec, dict):
            source = "<spec>"
            normalized = specs.normalize(spec, source)
            specs.validate_schema(normalized, source)
            batch = [(source, normalized)]
        else:
            batch = pipelines.read_specs(str(spec), stdin_text)
        if self.project != DEFAULT_PROJECT:
            # As `pachctl create pipeline --project`: a spec naming no project is in this one.
            for _, user_spec in batch:
                named = user_spec.setdefault("pipeline", {})
                if not (named.get("project") or {}).get("name"):
                    named["project"] = {"name": self.project}
        return pipelines.create_pipelines(
            self.store, batch, update=update, reprocess=reprocess, workdir=workdir
        )

    def update_pipeline(
        self,
        spec: str | os.PathLike[str] | Spec,
        *,
        reprocess: bool = False,
        stdin_text: str | None = None,
        workdir: str | None = None,
    ) -> list[PipelineInfo]:
        return self.create_pipeline(
            spec, update=True, reprocess=reprocess, stdin_text=stdin_text, workdir=workdir
        )

    def list_pipeline(self) -> list[PipelineInfo]:
        from pachlite.worker import pipelines

        return pipelines.list_pipelines(self.store)

    def inspect_pipeline(self, name: str) -> PipelineInfo:
        from pachlite.worker import pipelines

        return pipelines.inspect_pipeline(self.store, self._pipeline(name))

    def delete_pipeline(self, name: str, *, keep_repo: bool = False, force: bool = False) -> None:
        from pachlite.worker import pipelines

        pipelines.delete_pipeline(
            self.store, self._pipeline(name), keep_repo=keep_repo, force=force
        )

    def stop_pipeline(self, name: str) -> None:
        from pachlite.worker import pipelines

        pipelines.set_stopped(self.store, self._pipeline(name), True)

    def start_pipeline(self, name: str) -> None:
        from pachlite.worker import pipelines

        pipelines.set_stopped(self.store, self._pipeline(name), False)

    def list_job(self, *, pipeline: str | None = None, job_id: str | None = None) -> list[JobInfo]:
        from pachlite.worker import job_info

        key = self._pipeline(pipeline) if pipeline else None
        return job_info.list_jobs(self.store, pipeline=key, job_id=job_id)

    def inspect_job(self, job: str) -> JobInfo:
        """`pipeline@job-id`."""
        from pachlite.worker import job_info

        return job_info.inspect_job(self.store, *self._job(job))

    def wait_job(self, job: str, *, timeout: float | None = None) -> JobInfo:
        from pachlite.worker import job_info

        return job_info.wait_job(self.store, *self._job(job), timeout=timeout)

    def stop_job(self, job: str) -> JobInfo:
        from pachlite.worker import job_info

        return job_info.stop_job(self.store, *self._job(job))

    def list_datum(self, job: str) -> list[DatumInfo]:
        from pachlite.worker import job_info

        return job_info.list_datums(self.store, *self._job(job))

    def preview_datums(
        self, spec: str | os.PathLike[str], *, stdin_text: str | None = None
    ) -> list[Datum]:
        """The datums a spec would process now, without creating the pipeline."""
        from pachlite.worker import pipelines

        out: list[Datum] = []
        for source, user_spec in pipelines.read_specs(str(spec), stdin_text):
            out.extend(pipelines.preview_datums(self.store, user_spec, source))
        return out

    def inspect_datum(self, job: str, datum_id: str) -> DatumInfo:
        from pachlite.worker import job_info

        return job_info.inspect_datum(self.store, *self._job(job), datum_id)

    def restart_datum(self, job: str, datum_ids: list[str]) -> str:
        """Reprocess these datums in a new job; returns its ID."""
        from pachlite.worker import job_info

        return job_info.restart_datums(self.store, *self._job(job), datum_ids)

    def logs(
        self,
        *,
        pipeline: str | None = None,
        job: str | None = None,
        datum: str | None = None,
        after: int = 0,
    ) -> Iterator[tuple[int, LogLine]]:
        """Log lines (id, line) of user code, oldest first, read a page at a time."""
        from pachlite.worker import job_info

        job_pipeline, job_id = self._job(job) if job else (None, None)
        return job_info.logs(
            self.store,
            pipeline=self._pipeline(pipeline) if pipeline else job_pipeline,
            job_id=job_id,
            datum_id=datum,
            after=after,
        )

    def run_cron(self, pipeline: str) -> list[str]:
        from pachlite.worker import job_info

        return job_info.run_cron(self.store, self._pipeline(pipeline))

    def has_pipelines(self) -> bool:
        """Whether any pipeline exists (commands that make commits run jobs only then)."""
        from pachlite.worker import pipelines

        return pipelines.any_exist(self.store)

    def run_pending(
        self,
        *,
        progress: scheduler.ProgressFactory | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> list[scheduler.RanJob]:
        """Run every job that is ready (and what those make ready), in DAG order."""
        from pachlite.worker import scheduler

        return scheduler.run_pending(self.store, progress=progress, on_wait=on_wait)

    def up(
        self,
        spec_dir: str | None = None,
        *,
        until_idle: bool = False,
        keep_services: bool = False,
        console: Callable[[str, str], None] = lambda source, line: None,
        stop: threading.Event | None = None,
        progress: scheduler.ProgressFactory | None = None,
        on_job: Callable[[scheduler.RanJob], None] | None = None,
        api: Callable[[], AbstractContextManager[str | None]] | None = None,
    ) -> None:
        """Supervise: apply the specs in `spec_dir`, run jobs, spouts, services and cron
        ticks until `stop` is set (or, with until_idle, until nothing is left to do).
        `api`, entered once this is the root's one `up`, serves Pachyderm's API beside it
        and yields the address it bound."""
        from pachlite.worker import up

        up.run(
            self.store,
            spec_dir,
            until_idle=until_idle,
            keep_services=keep_services,
            console=console,
            stop=stop or threading.Event(),
            progress=progress,
            on_job=on_job,
            api=api,
        )

    def daemon(self) -> Daemon | None:
        """The `pachlite up` running on this root (its pid and API address), if any."""
        from pachlite.worker import daemon

        return daemon.running(self.store.root)

    def list_service(self) -> list[dict[str, Any]]:
        """Services that `pachlite up` runs now: name, state, URL, input commits."""
        from pachlite.worker import services

        return services.read_states(self.store)

    def process_log(self, pipeline: str) -> Iterator[str]:
        """What a spout or service printed (they have no datums to tag lines with), a line
        at a time."""
        from pachlite.worker import pipelines, spouts

        key = self._pipeline(pipeline)
        pipelines.require_pipeline(self.store, key)
        return spouts.read_log(self.store, key)

    def pipeline_graph(self) -> Graph:
        """The DAG: input repos and pipelines, edges from each input to its pipeline."""
        from pachlite.lineage import Graph, Node
        from pachlite.pps.pipeline_spec import CronInput
        from pachlite.worker import pipelines

        graph = Graph("pipelines")
        current = pipelines.current_versions(self.store)
        names = {p.name for p in current}
        for pipeline in current:
            spec = pipeline.spec
            kind = spec.kind
            image = spec.transform.image or ""  # null only if the user wrote null
            graph.add(
                Node(
                    pipeline.name,
                    (pipeline.name, f"v{pipeline.version} {kind}", image),
                    "pipeline" if kind == "batch" else kind,
                )
            )
            for leaf in spec.leaves():
                repo = leaf.repo
                if repo not in names:
                    label = "cron " + leaf.spec if isinstance(leaf, CronInput) else "repo"
                    graph.add(Node(repo, (repo, label), "repo"))
                graph.link(repo, pipeline.name)
        return graph

    def commit_graph(self, commit: str) -> Graph:
        """The provenance of one commit: every commit it came from, with jobs and versions."""
        from pachlite.client.pfs import PfsVerbs
        from pachlite.lineage import Graph, Node

        assert isinstance(self, PfsVerbs)
        root = self.commit_provenance(commit)
        graph = Graph(f"provenance of {root.commit}")
        pending = [root]
        while pending:
            node = pending.pop()
            info = self.inspect_commit(node.commit)
            lines = [f"{info.repo}@{info.id[:12]}", f"{info.branch or '-'} · {info.origin.value}"]
            if info.job:
                lines.append(f"job {info.job.split('@')[1][:12]} v{info.pipeline_version}")
                lines.append(f"spec {(info.spec_hash or '')[:12]}")
                lines.append(info.image or "")
                if info.git_commit:
                    lines.append(f"git {info.git_commit[:12]}")
            if info.error:
                lines.append("error: " + info.error)
            graph.add(Node(node.commit, tuple(lines), "failed" if info.error else "commit"))
            for upstream in node.inputs:
                graph.link(upstream.commit, node.commit)
                pending.append(upstream)
        return graph
