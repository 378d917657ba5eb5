"""One datum: a fresh /pfs, the user's command, retries, err_cmd, and its outputs.

Inputs are laid out by `materialize` (every byte hash-checked), and `pfs/out` starts empty
(docs/semantics.md §2.3). Each attempt starts from an empty `pfs/`: a worker thread keeps
one scratch directory for the job
(`scratch/<project>/<pipeline>/<job>/w<thread>`), emptied after each attempt
down to the bare directories it will make again (`pfs/`, `pfs/out/`, an input's directory),
so a datum costs the file system its input files and outputs, not a directory tree made and
removed each time (each of those is a journal write, milliseconds on a busy disk). A
directory whose mode user code changed is removed, not kept. `datum_tries` counts
attempts; a failed attempt runs `err_cmd`, and its success marks the datum RECOVERED
(docs/semantics.md §4.3).

Anything that goes wrong while preparing, running or collecting an attempt (a damaged input,
a full disk, a name the file system refuses, an output that cannot be uploaded) fails that
attempt with its reason in the datum's log and in `inspect datum`; it never escapes to the
job. err_cmd runs only after user code ran: an input that could not be laid out would fail it
the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pachlite.errors import PachliteError, from_os_error
from pachlite.model import DatumState
from pachlite.paths import split_key
from pachlite.pfs.files import Put
from pachlite.pfs.localfs import remove_tree
from pachlite.pfs.objects import ObjectStore
from pachlite.pps.datums import Datum
from pachlite.pps.pipeline_spec import PipelineSpec
from pachlite.worker import outputs, user_code
from pachlite.worker.datum_log import DatumLog, LogLine
from pachlite.worker.materialize import FilesUnder, Layout, empty_inputs, link_inputs, materialize


@dataclass(frozen=True)
class DatumContext:
    pipeline: str
    job_id: str
    spec: PipelineSpec
    workdir: str
    scratch: Path  # the job's: scratch/<project>/<pipeline>/<job ID>
    objects: ObjectStore
    files_under: FilesUnder
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def base_env(self) -> dict[str, str]:
        """The engine's environment and the job's variables, copied once per job (reading
        `os.environ` costs more than the rest of a datum's environment)."""
        return {**os.environ, **self.extra_env}


@dataclass
class DatumResult:
    datum: Datum
    state: DatumState
    reason: str | None
    outputs: list[Put]
    attempts: int
    started: float
    finished: float
    logs: list[LogLine]


@dataclass(frozen=True)
class _Attempt:
    outcome: user_code.Outcome | None  # None: user code did not run
    outputs: list[Put]
    problem: str | None  # why the attempt failed other than by its exit code


def run_datum(
    ctx: DatumContext,
    datum: Datum,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_log: Callable[[str, str], None] | None = None,
) -> DatumResult:
    transform = ctx.spec.transform
    tries = max(1, ctx.spec.datum_tries)
    timeout = ctx.spec.datum_timeout
    accepted = transform.accept_return_code
    log = DatumLog(on_log)

    def result(state: DatumState, reason: str | None, outs: list[Put], attempt: int) -> DatumResult:
        return DatumResult(datum, state, reason, outs, attempt, started, time.time(), log.lines())

    started = time.time()
    recovered = False
    reason: str | None = None
    scratch = ctx.scratch / f"w{threading.get_ident()}"
    for attempt in range(1, tries + 1):
        try:
            try:
                tried = _attempt(ctx, datum, scratch, timeout, log.add, should_stop)
            except Exception as exc:  # preparing, running or collecting it failed
                tried = _Attempt(None, [], failure_reason(exc))
            outcome = tried.outcome
            if outcome is not None and outcome.stopped:
                return result(DatumState.FAILED, "stopped", [], attempt)
            if tried.problem is None and outcome is not None and outcome.ok(accepted):
                state = DatumState.RECOVERED if recovered else DatumState.SUCCESS
                return result(state, None, tried.outputs, attempt)
            reason = tried.problem or (outcome.describe() if outcome else "failed")
            log.add("stderr", f"pachlite: attempt {attempt}/{tries} failed: {reason}")
            if transform.err_cmd and outcome is not None:
                recovered = _recover(ctx, datum, scratch, timeout, log.add) or recovered
        finally:
            _empty_scratch(scratch)
    state = DatumState.RECOVERED if recovered else DatumState.FAILED
    return result(state, reason, [], tries)


def failure_reason(exc: Exception) -> str:
    """What went wrong, for people: the error's own line, or the OS error it means."""
    if isinstance(exc, PachliteError):
        return str(exc)
    if isinstance(exc, OSError):
        return str(from_os_error(exc, "preparing the datum"))
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        return "a command, argument or environment variable contains a NUL byte"
    return f"pachlite could not run the datum: {type(exc).__name__}: {exc}"


def _attempt(
    ctx: DatumContext,
    datum: Datum,
    scratch: Path,
    timeout: float | None,
    log: user_code.LogSink,
    should_stop: Callable[[], bool],
) -> _Attempt:
    transform = ctx.spec.transform
    cmd = transform.cmd
    if not cmd:
        return _Attempt(None, [], "no command specified")
    pfs = scratch / "pfs"
    layout = _lay_out(ctx, datum, pfs)
    outcome = user_code.run(
        [user_code.rewrite_pfs(arg, str(pfs)) for arg in cmd],
        stdin=_stdin(transform.stdin, str(pfs)),
        env=_environment(ctx, datum, str(pfs)),
        cwd=_working_dir(ctx, transform.working_dir, str(pfs)),
        timeout=timeout,
        log=log,
        should_stop=should_stop,
    )
    changed = layout.changed()
    if changed:
        return _Attempt(
            outcome, [], f"user code modified its input {changed[0]}; inputs are read-only"
        )
    if not outcome.ok(transform.accept_return_code):
        return _Attempt(outcome, [], None)
    try:
        puts = outputs.collect(ctx.objects, pfs / "out", pfs, layout, empty_inputs(ctx.spec))
    except PachliteError as exc:
        return _Attempt(outcome, [], f"bad output: {exc}")
    return _Attempt(outcome, puts, None)


def _lay_out(ctx: DatumContext, datum: Datum, pfs: Path) -> Layout:
    names = {item.name for item in datum.items}
    _drop_others(pfs, names | {"out"})
    layout = materialize(
        ctx.objects, ctx.files_under, datum, pfs, empty=empty_inputs(ctx.spec), link=link_inputs()
    )
    try:
        os.mkdir(pfs / "out")  # materialize made pfs/
    except FileExistsError:
        pass  # kept empty by _empty_scratch
    except OSError as exc:
        raise from_os_error(exc, "creating /pfs/out") from None
    return layout


def _drop_others(pfs: Path, names: set[str]) -> None:
    """Remove what the last datum of this worker left that this one does not have (another
    input's directory, in a union)."""
    try:
        with os.scandir(pfs) as listing:
            entries = list(listing)
    except OSError:
        return  # not made yet: materialize makes it
    for entry in entries:
        if entry.name not in names:
            remove_tree(entry.path)


def _empty_scratch(scratch: Path) -> None:
    """Empty a worker's scratch after an attempt, keeping `pfs/` and the directories right
    under it that still have the mode they were made with (the scratch directory's own):
    everything else goes, whatever user code made of it."""
    pfs = scratch / "pfs"
    try:
        mode = os.stat(scratch).st_mode
        with os.scandir(pfs) as listing:
            entries = list(listing)
        if os.lstat(pfs).st_mode != mode:
            raise OSError("pfs/ was changed")
    except OSError:
        remove_tree(pfs)
        return
    for entry in entries:
        try:
            keep = entry.stat(follow_symlinks=False).st_mode == mode
            inside = list(os.scandir(entry.path)) if keep else []
        except OSError:
            keep, inside = False, []
        if not keep:
            remove_tree(entry.path)
            continue
        emptied = True
        for child in inside:
            try:
                if child.is_dir(follow_symlinks=False):
                    remove_tree(child.path)
                    emptied = False  # remove_tree leaves what it cannot remove: look again
                else:
                    os.unlink(child.path)  # a file or link: one call
            except OSError:
                emptied = False
        if not emptied:
            try:
                with os.scandir(entry.path) as still:
                    left = next(still, None) is not None
            except OSError:
                left = True
            if left:
                remove_tree(entry.path)


def _recover(
    ctx: DatumContext,
    datum: Datum,
    scratch: Path,
    timeout: float | None,
    log: user_code.LogSink,
) -> bool:
    transform = ctx.spec.transform
    pfs = scratch / "pfs"
    try:
        if not pfs.exists():
            _lay_out(ctx, datum, pfs)
        outcome = user_code.run(
            [user_code.rewrite_pfs(arg, str(pfs)) for arg in transform.err_cmd],
            stdin=_stdin(transform.err_stdin, str(pfs)),
            env=_environment(ctx, datum, str(pfs)),
            cwd=_working_dir(ctx, transform.working_dir, str(pfs)),
            timeout=timeout,
            log=log,
        )
    except Exception as exc:
        log("stderr", f"pachlite: err_cmd could not run: {failure_reason(exc)}")
        return False
    return outcome.ok(transform.accept_return_code)


def _environment(ctx: DatumContext, datum: Datum, pfs: str) -> dict[str, str]:
    """Pachyderm's variables (docs/semantics.md §3.1), /pfs pointing at this datum's scratch."""
    env = dict(ctx.base_env)
    for key, value in ctx.spec.transform.env.items():
        env[key] = user_code.rewrite_pfs(value, pfs)
    for item in datum.items:
        path = item.path.rstrip("/") if item.path != "/" else ""
        env[item.name] = f"{pfs}/{item.name}{path}"
        env[f"{item.name}_COMMIT"] = item.commit
        if item.join_key is not None:
            env[f"PACH_DATUM_{item.name}_JOIN_ON"] = item.join_key
        if item.group_key is not None:
            env[f"PACH_DATUM_{item.name}_GROUP_BY"] = item.group_key
    env.update(
        {
            "PACH_DATUM_ID": datum.id,
            "PACH_JOB_ID": ctx.job_id,
            "PACH_OUTPUT_COMMIT_ID": ctx.job_id,
            # ctx.pipeline is the pipeline's key: `project/name` outside `default`.
            "PPS_PIPELINE_NAME": split_key(ctx.pipeline)[1],
            "PPS_PROJECT_NAME": split_key(ctx.pipeline)[0],
        }
    )
    return env


def _stdin(lines: Sequence[str], pfs: str) -> str:
    if not lines:
        return ""
    return "".join(user_code.rewrite_pfs(line, pfs) + "\n" for line in lines)


def _working_dir(ctx: DatumContext, working_dir: str | None, pfs: str) -> str:
    if not working_dir:
        return ctx.workdir
    rewritten = user_code.rewrite_pfs(working_dir, pfs)
    if not os.path.isabs(rewritten):
        return os.path.join(ctx.workdir, rewritten)
    # An image path (e.g. /app) that this machine lacks: run where the pipeline was created.
    return rewritten if os.path.isdir(rewritten) else ctx.workdir


@dataclass(frozen=True)
class Prepared:
    """A datum laid out on disk and the command to run on it (for services)."""

    argv: list[str]
    stdin: str
    env: dict[str, str]
    cwd: str
    pfs: Path
    layout: Layout


def prepare(ctx: DatumContext, datum: Datum, scratch: Path) -> Prepared:
    """Lay out a datum for a long-running process; raises a PachliteError saying why not."""
    transform = ctx.spec.transform
    remove_tree(scratch)
    pfs = scratch / "pfs"
    try:
        layout = _lay_out(ctx, datum, pfs)
    except BaseException:
        remove_tree(scratch)
        raise
    return Prepared(
        argv=[user_code.rewrite_pfs(arg, str(pfs)) for arg in transform.cmd],
        stdin=_stdin(transform.stdin, str(pfs)),
        env=_environment(ctx, datum, str(pfs)),
        cwd=_working_dir(ctx, transform.working_dir, str(pfs)),
        pfs=pfs,
        layout=layout,
    )
