"""One datum: a fresh /pfs, the user's command, retries, err_cmd, and its outputs.

Inputs are hard links to the read-only objects (a copy only where links are impossible), at
their full repo path under `pfs/<input name>/`, and `pfs/out` starts empty (reference §2.3).
Each attempt gets a fresh scratch directory. `datum_tries` counts attempts; a failed attempt
runs `err_cmd`, and its success marks the datum RECOVERED (§4.3).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pachlite.errors import PachliteError
from pachlite.model import DatumState
from pachlite.pfs import ingest
from pachlite.pfs.files import Put
from pachlite.pfs.objects import ObjectStore
from pachlite.pps.datums import Datum, Item
from pachlite.pps.spec import parse_duration
from pachlite.worker import user_code

FilesUnder = Callable[[Item], Iterator[tuple[str, str]]]  # item -> (path in repo, object hash)
LogLine = tuple[str, float, str]  # (stream, time, line)


@dataclass(frozen=True)
class DatumContext:
    pipeline: str
    job_id: str
    spec: Mapping[str, Any]  # effective spec
    workdir: str
    scratch_root: Path
    objects: ObjectStore
    files_under: FilesUnder
    extra_env: Mapping[str, str] = field(default_factory=dict)


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


def run_datum(
    ctx: DatumContext,
    datum: Datum,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_log: Callable[[str, str], None] | None = None,
) -> DatumResult:
    transform = ctx.spec.get("transform") or {}
    tries = max(1, int(ctx.spec.get("datumTries") or 3))
    timeout = parse_duration(ctx.spec.get("datumTimeout"), "datum_timeout")
    accepted = [int(c) for c in transform.get("acceptReturnCode") or []]
    logs: list[LogLine] = []

    def log(stream: str, line: str) -> None:
        logs.append((stream, time.time(), line))
        if on_log:
            on_log(stream, line)

    started = time.time()
    recovered = False
    reason: str | None = None
    for attempt in range(1, tries + 1):
        scratch = ctx.scratch_root / ctx.job_id / f"{datum.id[:16]}-{attempt}"
        try:
            outcome, outputs, problem = _attempt(ctx, datum, scratch, timeout, log, should_stop)
            if outcome is not None and outcome.stopped:
                return DatumResult(
                    datum, DatumState.FAILED, "stopped", [], attempt, started, time.time(), logs
                )
            if problem is None and outcome is not None and outcome.ok(accepted):
                state = DatumState.RECOVERED if recovered else DatumState.SUCCESS
                return DatumResult(datum, state, None, outputs, attempt, started, time.time(), logs)
            reason = problem or (outcome.describe() if outcome else "failed")
            log("stderr", f"pachlite: attempt {attempt}/{tries} failed: {reason}")
            if transform.get("errCmd") and _recover(ctx, datum, scratch, timeout, log):
                recovered = True
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    state = DatumState.RECOVERED if recovered else DatumState.FAILED
    return DatumResult(datum, state, reason, [], tries, started, time.time(), logs)


def _attempt(
    ctx: DatumContext,
    datum: Datum,
    scratch: Path,
    timeout: float | None,
    log: user_code.LogSink,
    should_stop: Callable[[], bool],
) -> tuple[user_code.Outcome | None, list[Put], str | None]:
    transform = ctx.spec.get("transform") or {}
    cmd = list(transform.get("cmd") or [])
    if not cmd:
        return None, [], "no command specified"
    pfs = scratch / "pfs"
    shutil.rmtree(scratch, ignore_errors=True)  # left by a process killed mid-datum
    linked = _materialize(ctx, datum, pfs)
    (pfs / "out").mkdir(parents=True)
    env = _environment(ctx, datum, str(pfs))
    outcome = user_code.run(
        [user_code.rewrite_pfs(arg, str(pfs)) for arg in cmd],
        stdin=_stdin(transform.get("stdin"), str(pfs)),
        env=env,
        cwd=_working_dir(ctx, transform.get("workingDir"), str(pfs)),
        timeout=timeout,
        log=log,
        should_stop=should_stop,
    )
    changed = [path for path, stamp in linked.items() if _stamp(path) != stamp]
    if changed:
        return outcome, [], f"user code modified its input {changed[0]}; inputs are read-only"
    if not outcome.ok([int(c) for c in transform.get("acceptReturnCode") or []]):
        return outcome, [], None
    try:
        planned = ingest.plan_directory(pfs / "out", "/")
        outputs = ingest.store_files(ctx.objects, planned, workers=1)
    except PachliteError as exc:
        return outcome, [], f"bad output: {exc}"
    return outcome, outputs, None


def _recover(
    ctx: DatumContext,
    datum: Datum,
    scratch: Path,
    timeout: float | None,
    log: user_code.LogSink,
) -> bool:
    transform = ctx.spec.get("transform") or {}
    pfs = scratch / "pfs"
    if not pfs.exists():
        _materialize(ctx, datum, pfs)
        (pfs / "out").mkdir(parents=True, exist_ok=True)
    outcome = user_code.run(
        [user_code.rewrite_pfs(arg, str(pfs)) for arg in transform["errCmd"]],
        stdin=_stdin(transform.get("errStdin"), str(pfs)),
        env=_environment(ctx, datum, str(pfs)),
        cwd=_working_dir(ctx, transform.get("workingDir"), str(pfs)),
        timeout=timeout,
        log=log,
    )
    accepted = [int(c) for c in transform.get("acceptReturnCode") or []]
    return outcome.ok(accepted)


def link_inputs() -> bool:
    """Hard links unless PACHLITE_INPUTS=copy, or we run as root: root ignores the objects'
    read-only mode, so a linked input would let user code damage the store."""
    mode = os.environ.get("PACHLITE_INPUTS", "")
    if mode in ("copy", "link"):
        return mode == "link"
    return os.geteuid() != 0


def _materialize(ctx: DatumContext, datum: Datum, pfs: Path) -> dict[Path, tuple[int, int]]:
    """Put every input file in place; returns each file's (size, mtime) to detect writes."""
    empty = {item.name for item in datum.items if _empty_files(ctx.spec, item.name)}
    link = link_inputs()
    stamps: dict[Path, tuple[int, int]] = {}
    for item in datum.items:
        base = pfs / item.name
        base.mkdir(parents=True, exist_ok=True)
        for repo_path, digest in ctx.files_under(item):
            target = base / repo_path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                continue  # the same file through two items of one input (group, union)
            if item.name in empty:
                target.touch()
                continue
            try:
                if not link:
                    raise PermissionError
                os.link(ctx.objects.path(digest), target)
            except OSError:  # copy mode, another filesystem, or links not allowed
                shutil.copyfile(ctx.objects.path(digest), target)
                target.chmod(0o444)
            stamps[target] = _stamp(target)
    return stamps


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return info.st_size, info.st_mtime_ns


def _empty_files(spec: Mapping[str, Any], name: str) -> bool:
    from pachlite.pps.validate import iter_inputs

    return any(
        kind == "pfs" and body.get("name") == name and body.get("emptyFiles")
        for kind, body in iter_inputs(spec.get("input"))
    )


def _environment(ctx: DatumContext, datum: Datum, pfs: str) -> dict[str, str]:
    """Pachyderm's variables (reference §3.1), with /pfs pointing at this datum's scratch."""
    env = dict(os.environ)
    env.update(ctx.extra_env)
    for key, value in ((ctx.spec.get("transform") or {}).get("env") or {}).items():
        env[str(key)] = user_code.rewrite_pfs(str(value), pfs)
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
            "PPS_PIPELINE_NAME": ctx.pipeline,
            "PPS_PROJECT_NAME": "default",
        }
    )
    return env


def _stdin(lines: list[str] | None, pfs: str) -> str:
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


def prepare(ctx: DatumContext, datum: Datum, scratch: Path) -> Prepared:
    transform = ctx.spec.get("transform") or {}
    shutil.rmtree(scratch, ignore_errors=True)
    pfs = scratch / "pfs"
    _materialize(ctx, datum, pfs)
    (pfs / "out").mkdir(parents=True)
    return Prepared(
        argv=[user_code.rewrite_pfs(arg, str(pfs)) for arg in transform.get("cmd") or []],
        stdin=_stdin(transform.get("stdin"), str(pfs)),
        env=_environment(ctx, datum, str(pfs)),
        cwd=_working_dir(ctx, transform.get("workingDir"), str(pfs)),
        pfs=pfs,
    )
