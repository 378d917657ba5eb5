"""Jobs: one per open AUTO commit on a pipeline's output branch (reference §4.1, §2.6, §3.3).

A job waits for its input commits, becomes UNRUNNABLE if one of them failed, and otherwise
resets its output to the last successful job's output, deletes what removed and changed
datums wrote, runs the datums that need it (new first, then changed), refuses two datums
writing one path, and merges the rest in one transaction that also finishes the commit.

Whatever goes wrong inside a job ends it FAILURE with the reason, its output commit finished
with that error: no exception leaves a job RUNNING for the next command to trip over. Only a
process that dies (SIGKILL, power) leaves one, and the next run redoes it from the start.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pachlite.failpoints import failpoint
from pachlite.model import DatumState, JobState
from pachlite.paths import split
from pachlite.pfs import commits, provenance
from pachlite.pfs.db import Row
from pachlite.pfs.localfs import remove_tree
from pachlite.pfs.records import CommitRecord
from pachlite.pfs.refs import commit_by_row_id
from pachlite.pfs.store import Store
from pachlite.pfs.tree import EMPTY_TREE, FILE, Entry, TreeEditor
from pachlite.pps.datums import Datum, Item, generate
from pachlite.pps.plan import JobPlan, Previous, plan_job
from pachlite.pps.spec import parse_duration
from pachlite.pps.validate import iter_inputs
from pachlite.worker import datum_records
from pachlite.worker.datum import DatumContext, DatumResult, failure_reason, run_datum
from pachlite.worker.listing import input_commit

Progress = Callable[[int, int], None]  # (datums done, datums total)


@dataclass(frozen=True)
class JobRecord:
    row: Row
    pipeline: Row
    spec: dict[str, Any]
    spec_hash: str = ""

    @property
    def spec_commit(self) -> str:
        """What Pachyderm puts in PPS_SPEC_COMMIT (its spec repo's commit ID, 32 hex digits):
        pachlite has no spec repo, so the job's pipeline version is named by its spec hash."""
        return self.spec_hash[:32]


def ensure_jobs(store: Store) -> None:
    """A job row for every open AUTO commit on a pipeline's output branch (none are added on
    a read-only store: listing its jobs shows the ones it has)."""
    if store.read_only:
        return
    store.db.execute(
        """INSERT OR IGNORE INTO jobs (pipeline_id, job_id, version, output_commit, state, created)
           SELECT p.id, c.commit_id, p.version, c.id, ?, ?
           FROM pipelines p JOIN repos r ON r.name = p.name AND r.type = 'user'
           JOIN commits c ON c.repo_id = r.id
           WHERE c.origin = 'AUTO' AND c.finished IS NULL AND c.branch = p.output_branch""",
        (str(JobState.CREATED), time.time()),
    )


def load(store: Store, job_row_id: int) -> JobRecord:
    row = store.db.one("SELECT * FROM jobs WHERE id = ?", (job_row_id,))
    assert row is not None
    pipeline = store.db.one("SELECT * FROM pipelines WHERE id = ?", (row["pipeline_id"],))
    assert pipeline is not None
    version = store.db.one(
        "SELECT effective_spec, spec_hash FROM pipeline_versions "
        "WHERE pipeline_id = ? AND version = ?",
        (row["pipeline_id"], row["version"]),
    )
    assert version is not None
    return JobRecord(row, pipeline, json.loads(version["effective_spec"]), version["spec_hash"])


def inputs_ready(store: Store, job: JobRecord) -> bool:
    output = commit_by_row_id(store, job.row["output_commit"])
    return all(c.finished is not None for c in provenance.upstream(store, output))


def set_state(store: Store, job_row_id: int, state: JobState, reason: str | None = None) -> None:
    finished = time.time() if state.terminal else None
    store.db.execute(
        "UPDATE jobs SET state = ?, reason = COALESCE(?, reason), "
        "finished = COALESCE(?, finished) WHERE id = ?",
        (str(state), reason, finished, job_row_id),
    )


def current_state(store: Store, job_row_id: int) -> JobState:
    return JobState(store.db.scalar("SELECT state FROM jobs WHERE id = ?", (job_row_id,)))


def run_job(
    store: Store,
    job_row_id: int,
    progress: Progress | None = None,
    interrupted: Callable[[], bool] = lambda: False,
) -> JobState:
    """Run one job to a terminal state; `interrupted` (Ctrl-C) ends it KILLED."""
    job = load(store, job_row_id)
    output = commit_by_row_id(store, job.row["output_commit"])
    inputs = provenance.upstream(store, output)
    failed_upstream = sorted({c.repo for c in inputs if c.error})
    if failed_upstream:
        reason = "unrunnable because the following upstream pipelines failed: " + ", ".join(
            failed_upstream
        )
        with store.db.atomic():
            commits.close_commit(store, output.id, error=reason)
            set_state(store, job_row_id, JobState.UNRUNNABLE, reason)
        return JobState.UNRUNNABLE
    store.db.execute(
        "UPDATE jobs SET state = ?, started = ?, git_commit = ?, data_total = 0, "
        "data_processed = 0, data_skipped = 0, data_failed = 0, data_recovered = 0 WHERE id = ?",
        (str(JobState.RUNNING), time.time(), _git_commit(job.pipeline["workdir"]), job_row_id),
    )
    store.db.execute("DELETE FROM datums WHERE job = ?", (job_row_id,))
    store.db.execute("DELETE FROM logs WHERE job = ?", (job_row_id,))
    # A rerun after a crash starts clean: no scratch from the killed run.
    remove_tree(store.root / "scratch" / job.row["job_id"])
    try:
        base_job, base_tree = base_of(store, job, output)
        commits.set_content(store, output.id, base_tree)
        datums = generate(job.spec.get("input"), listings(store, job.spec, inputs))
        plan = _plan(store, job, datums, base_job)
        store.db.execute(
            "UPDATE jobs SET data_total = ?, data_skipped = ? WHERE id = ?",
            (plan.total, len(plan.skipped), job_row_id),
        )
        deadline = _deadline(job.spec)

        def should_stop() -> bool:
            if interrupted() or (deadline is not None and time.monotonic() > deadline):
                return True
            return current_state(store, job_row_id) == JobState.KILLED

        results = _run_phases(store, job, plan, should_stop, progress)
        failpoint("job.datums-done")  # every datum ran, no output recorded yet
        return _finish(store, job, output, base_tree, plan, results, deadline, interrupted())
    except Exception as exc:
        return fail_job(store, job_row_id, output.id, failure_reason(exc))
    finally:
        remove_tree(store.root / "scratch" / job.row["job_id"])


def fail_job(store: Store, job_row_id: int, output_row_id: int, reason: str) -> JobState:
    """End a job FAILURE with its output commit finished with the reason (the last successful
    content, as the job reset it). A store that cannot record even this raises."""
    with store.db.atomic():
        commits.close_commit(store, output_row_id, error=reason)
        set_state(store, job_row_id, JobState.FAILURE, reason)
    return JobState.FAILURE


def base_of(store: Store, job: JobRecord, output: CommitRecord) -> tuple[Row | None, str]:
    """The last successful job among the output commit's ancestors, and its content."""
    parent = output.parent
    while parent is not None:
        row = store.db.one(
            "SELECT j.*, c.tree FROM jobs j JOIN commits c ON c.id = j.output_commit "
            "WHERE j.output_commit = ? AND j.pipeline_id = ? AND j.state = ?",
            (parent, job.row["pipeline_id"], str(JobState.SUCCESS)),
        )
        if row is not None:
            return row, str(row["tree"])
        parent = commit_by_row_id(store, parent).parent
    return None, EMPTY_TREE


def listings(store: Store, spec: dict[str, Any], inputs: list[CommitRecord]) -> dict[Any, Any]:
    by_repo = {c.repo: c for c in inputs}
    listings: dict[Any, Any] = {}
    for kind, body in iter_inputs(spec.get("input")):
        commit = by_repo.get(body["repo"])
        if commit is not None:
            branch = body.get("branch") or "master" if kind == "pfs" else "master"
            listings[(body["name"], body["repo"])] = input_commit(store, commit, branch)
    return listings


def _plan(store: Store, job: JobRecord, datums: list[Datum], base_job: Row | None) -> JobPlan:
    base: dict[str, Previous] = {}
    if base_job is not None:
        for row in store.db.all("SELECT * FROM datums WHERE job = ?", (base_job["id"],)):
            state = "SUCCESS" if row["state"] == str(DatumState.SKIPPED) else row["state"]
            base[row["datum_id"]] = Previous(
                row["datum_id"], row["hash"], state, tuple(json.loads(row["outputs"]))
            )
    forced = set(json.loads(job.row["forced"]))
    for datum_id in forced & base.keys():
        base[datum_id] = Previous(datum_id, "", "FORCED", base[datum_id].outputs)
    no_skip = job.spec.get("reprocessSpec") == "every_job"
    return plan_job(datums, job.pipeline["salt"], base, no_skip=no_skip)


def _run_phases(
    store: Store,
    job: JobRecord,
    plan: JobPlan,
    should_stop: Callable[[], bool],
    progress: Progress | None,
) -> list[DatumResult]:
    ctx = DatumContext(
        pipeline=job.pipeline["name"],
        job_id=job.row["job_id"],
        spec=job.spec,
        workdir=job.pipeline["workdir"],
        scratch_root=store.root / "scratch",
        objects=store.objects,
        files_under=lambda item: files_under(store, item),
        extra_env={"PACHLITE_ROOT": str(store.root), "PPS_SPEC_COMMIT": job.spec_commit},
    )
    workers = max(1, int((job.spec.get("parallelismSpec") or {}).get("constant") or 1))
    done = len(plan.skipped)
    results: list[DatumResult] = []
    if progress:
        progress(done, plan.total)
    # Phase 1: new datums; phase 2 (only if phase 1 succeeded): changed datums.
    for phase in (plan.new, plan.changed):
        if not phase or should_stop():
            continue
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_datum, ctx, d, should_stop=should_stop) for d in phase]
            for future in futures:
                result = _wait_awake(future)
                results.append(result)
                done += 1
                datum_records.count(store, job.row["id"], result)
                datum_records.store_logs(store, job.row["id"], result)
                if progress:
                    progress(done, plan.total)
        if any(r.state == DatumState.FAILED for r in results):
            break
    return results


def _wait_awake(future: Future[DatumResult]) -> DatumResult:
    """The datum's result, waited for in short steps: Python runs signal handlers (Ctrl-C,
    SIGTERM under `pachlite up`) only when the main thread runs, and a signal the kernel
    hands to another thread would otherwise wait for the datum to end."""
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            continue


def files_under(store: Store, item: Item) -> Iterator[tuple[str, str, int]]:
    commit = store.db.one(
        "SELECT c.tree FROM commits c JOIN repos r ON r.id = c.repo_id "
        "WHERE r.name = ? AND c.commit_id = ?",
        (item.repo, item.commit),
    )
    assert commit is not None
    path = item.path.rstrip("/") or "/"
    if item.is_dir:
        root = (
            Entry("d", commit["tree"], 0)
            if path == "/"
            else store.trees.lookup(commit["tree"], path)
        )
        assert root is not None
        for file_path, entry in store.trees.files(root, path):
            yield file_path, entry.hash, entry.size
    else:
        yield path, item.hash, item.size


def _collisions(plan: JobPlan, results: list[DatumResult]) -> str | None:
    """Pachyderm refuses one path from two datums, and a path both file and directory."""
    owner: dict[str, str] = {}
    for datum, previous in plan.skipped:
        for path in previous.outputs:
            owner[path] = datum.id
    for result in results:
        if result.state not in (DatumState.SUCCESS, DatumState.RECOVERED) or not result.outputs:
            continue
        for put in result.outputs:
            other = owner.get(put.path)
            if other is not None and other != result.datum.id:
                return (
                    f"duplicate path output by different datums: {put.path} is written by "
                    f"datum {other} and datum {result.datum.id}"
                )
            owner[put.path] = result.datum.id
    for path, datum_id in owner.items():
        parts = split(path)
        for depth in range(1, len(parts)):
            prefix = "/" + "/".join(parts[:depth])
            if prefix in owner:
                return (
                    f"file / directory path collision: {prefix} is a file of datum "
                    f"{owner[prefix]} and a directory of datum {datum_id}"
                )
    return None


def _finish(
    store: Store,
    job: JobRecord,
    output: CommitRecord,
    base_tree: str,
    plan: JobPlan,
    results: list[DatumResult],
    deadline: float | None,
    interrupted: bool,
) -> JobState:
    job_id = job.row["id"]
    killed = current_state(store, job_id) == JobState.KILLED
    timed_out = deadline is not None and time.monotonic() > deadline
    failed = [r for r in results if r.state == DatumState.FAILED]
    reason = None
    state = JobState.SUCCESS
    if interrupted:
        state, reason = JobState.KILLED, "interrupted: pachlite was stopped"
    elif killed or timed_out:
        state, reason = JobState.KILLED, ("job timed out" if timed_out else "job stopped")
    elif failed:
        state, reason = JobState.FAILURE, f"datum {failed[0].datum.id} failed: {failed[0].reason}"
    else:
        reason = _collisions(plan, results)
        if reason:
            state = JobState.FAILURE
    with store.db.atomic():
        datum_records.record_datums(store, job_id, plan, results)
        if state == JobState.SUCCESS:
            editor = TreeEditor(store.trees, base_tree)
            for path in plan.outputs_to_delete:
                editor.delete(path)
            for result in results:
                if result.state == DatumState.SUCCESS:
                    for put in result.outputs:
                        editor.put(put.path, Entry(FILE, put.hash, put.size))
            tree, _ = editor.flush(store.save_tree)
            failpoint("job.merge")  # outputs merged, nothing committed: the rerun redoes it
            commits.set_content(store, output.id, tree)
        commits.close_commit(store, output.id, error=None if state == JobState.SUCCESS else reason)
        if not killed:
            set_state(store, job_id, state, reason)
        else:
            store.db.execute("UPDATE jobs SET finished = ? WHERE id = ?", (time.time(), job_id))
    return current_state(store, job_id)


def _deadline(spec: dict[str, Any]) -> float | None:
    seconds = parse_duration(spec.get("jobTimeout"), "job_timeout")
    return None if seconds is None else time.monotonic() + seconds


def _git_commit(workdir: str) -> str | None:
    """The project's git commit (with +dirty for uncommitted changes), if it is a checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", workdir, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", workdir, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None
