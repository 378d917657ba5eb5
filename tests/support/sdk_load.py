"""Many pachyderm-sdk clients writing to one server at once, and that server killed with
SIGKILL while they write. Shared by tests/reliability/test_daemon_load.py (quick sizes) and
bench/daemon_load.py (the figures in docs/reliability.md).

Each writer is one `pachyderm_sdk.Client` on its own thread, making commits on its own branch
of one shared repo with the SDK's commit context, as its documentation shows: three small
files overwritten in every commit, a large one every few commits (writer 0's first is over
the SDK's 19 MiB message, so it arrives in two). A writer remembers only what the server told
it, and what state each commit must then be in:

- the commit context ended cleanly: FINISHED, with exactly the tree it wrote;
- a put failed (the server died), so the context's finish failed too: OPEN, holding the puts
  that were acknowledged, and maybe the one in flight (its stream may have landed whole);
- every put was acknowledged and the finish got no answer: OPEN or FINISHED, the whole tree;
- the start got no answer: the branch's head is the last commit it knew, or a new open commit
  on top of it with nothing in it.

Every error a client sees must be UNAVAILABLE; `check` lists each broken promise.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
from pachyderm_sdk.api import pfs

from tests.support.cli import Cli
from tests.support.daemon import start_daemon
from tests.support.grpc_server import start_server
from tests.support.ports import free_port

REPO = "load"
SMALL_FILES = 3
MiB = 1 << 20
Tree = dict[str, str]  # path -> sha256 of its bytes


class Served(Protocol):
    """A running server: the test server or `pachlite up`."""

    port: int

    def sdk(self) -> Any: ...


@dataclass(frozen=True)
class Sizes:
    writers: int
    commits: int  # each
    large_every: int = 10  # a large file in every this many commits
    large_bytes: tuple[int, int] = (1 * MiB, 3 * MiB)
    huge_bytes: int = 20 * MiB  # writer 0's first commit


@dataclass
class Made:
    """A commit a writer made, and what the server's answers promise about it."""

    branch: str
    id: str
    tree: Tree  # everything acknowledged
    expect: str  # "finished", "open", "open or finished"
    in_flight: Tree | None = None  # the tree if the unacknowledged put landed


@dataclass
class Writer:
    branch: str
    made: list[Made] = field(default_factory=list)
    start_unanswered: bool = False
    errors: list[str] = field(default_factory=list)  # "CODE: details"
    wrong: list[str] = field(default_factory=list)  # answers that are not UNAVAILABLE
    seconds: float = 0.0

    @property
    def finished(self) -> list[Made]:
        return [m for m in self.made if m.expect == "finished"]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commit_files(sizes: Sizes, writer: int, k: int) -> list[tuple[str, bytes]]:
    """What commit `k` of `writer` puts (deterministic, so reruns write the same bytes)."""
    files = [
        (f"/small-{j}", f"writer {writer} commit {k} file {j}\n".encode() * (1 + (k * 7 + j) % 40))
        for j in range(SMALL_FILES)
    ]
    rng = random.Random(writer * 1_000_003 + k)
    if writer == 0 and k == 0 and sizes.huge_bytes:
        files.append(("/large", rng.randbytes(sizes.huge_bytes)))
    elif k % sizes.large_every == sizes.large_every - 1:
        files.append(("/large", rng.randbytes(rng.randint(*sizes.large_bytes))))
    return files


def prepare(server: Served) -> None:
    server.sdk().pfs.create_repo(repo=pfs.Repo(name=REPO))


def branch_of(name: str) -> pfs.Branch:
    return pfs.Branch(repo=pfs.Repo(name=REPO), name=name)


def write(server: Served, writer: int, sizes: Sizes, log: Writer) -> None:
    """Make `sizes.commits` commits, stopping at the first error (the server is gone)."""
    sdk = server.sdk()
    tree: Tree = {}
    started = time.perf_counter()
    for k in range(sizes.commits):
        if not _one_commit(sdk, sizes, writer, k, tree, log):
            break
        tree = dict(log.made[-1].tree)
    log.seconds = time.perf_counter() - started


def _one_commit(sdk: Any, sizes: Sizes, writer: int, k: int, tree: Tree, log: Writer) -> bool:
    made: Made | None = None
    try:
        with sdk.pfs.commit(branch=branch_of(log.branch)) as commit:
            made = Made(log.branch, commit.id, dict(tree), "open")
            log.made.append(made)
            for path, data in commit_files(sizes, writer, k):
                made.in_flight = {**made.tree, path: digest(data)}
                commit.put_file_from_bytes(path, data)
                made.tree, made.in_flight = made.in_flight, None
            made.expect = "open or finished"  # the finish is on its way
        made.expect = "finished"
        return True
    except (grpc.RpcError, ConnectionError) as exc:
        _seen(log, exc)
        if made is None:
            log.start_unanswered = True
        return False
    except Exception as exc:  # the SDK raising anything else is a wrong answer
        log.wrong.append(f"{type(exc).__name__}: {exc}")
        return False


def _seen(log: Writer, exc: BaseException) -> None:
    error = exc
    if isinstance(exc, ConnectionError):
        # The SDK's words for UNAVAILABLE "failed to connect to all addresses"
        # (pachyderm_sdk/interceptor.py), raised from that error.
        error = exc.__cause__  # type: ignore[assignment]
    if not isinstance(error, grpc.RpcError):
        log.wrong.append(f"{type(exc).__name__}: {exc}")
        return
    code = error.code()  # type: ignore[attr-defined]
    text = f"{code.name}: {error.details()}"  # type: ignore[attr-defined]
    log.errors.append(text)
    if code != grpc.StatusCode.UNAVAILABLE:
        log.wrong.append(text)
    # The context's finish fails after a failed put; its error is chained to the put's.
    earlier = exc.__context__
    if isinstance(earlier, grpc.RpcError | ConnectionError) and earlier is not error:
        _seen(log, earlier)


def run_writers(server: Served, sizes: Sizes) -> list[Writer]:
    logs, threads = start_writers(server, sizes)
    for thread in threads:
        thread.join()
    return logs


def start_writers(server: Served, sizes: Sizes) -> tuple[list[Writer], list[threading.Thread]]:
    """The writers started, not waited for (to kill the server under them)."""
    logs = [Writer(f"w{i}") for i in range(sizes.writers)]
    threads = [
        threading.Thread(target=write, args=(server, i, sizes, log), name=log.branch)
        for i, log in enumerate(logs)
    ]
    for thread in threads:
        thread.start()
    return logs, threads


# What the server holds -------------------------------------------------------------------


def read_tree(sdk: Any, commit: pfs.Commit) -> Tree:
    """Every file of a commit with the sha256 of the bytes GetFile sends."""
    tree = {}
    for info in sdk.pfs.list_file(file=pfs.File(commit=commit, path="/")):
        path = info.file.path
        content = b"".join(
            m.value for m in sdk.pfs.get_file(file=pfs.File(commit=commit, path=path))
        )
        tree[path] = digest(content)
    return tree


def is_finished(info: Any) -> bool:
    return bool(info.finished and info.finished.timestamp() > 0)


def check(server: Served, logs: list[Writer], *, after_kill: bool, readers: int = 8) -> list[str]:
    """Every promise the answers made, checked against the server; the broken ones."""
    problems: list[str] = []
    for log in logs:
        problems += [f"{log.branch}: wrong answer {w}" for w in log.wrong]
        if not after_kill:
            problems += [f"{log.branch}: error without a kill: {e}" for e in log.errors]
    made = [m for log in logs for m in log.made]
    lock = threading.Lock()

    def check_some(part: list[Made]) -> None:
        sdk = server.sdk()
        for one in part:
            try:
                problem = _check_made(sdk, one)
            except Exception as exc:  # a read that fails is a broken promise too
                problem = f"{one.branch} commit {one.id}: {type(exc).__name__}: {exc}"
            if problem:
                with lock:
                    problems.append(problem)

    threads = [
        threading.Thread(target=check_some, args=(made[i::readers],)) for i in range(readers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sdk = server.sdk()
    for log in logs:
        problems += _check_branch(sdk, log)
    return problems


def _check_made(sdk: Any, made: Made) -> str | None:
    where = f"{made.branch} commit {made.id}"
    commit = pfs.Commit(id=made.id, branch=branch_of(made.branch))
    try:
        info = sdk.pfs.inspect_commit(commit=commit)
    except grpc.RpcError as exc:
        return f"{where}: {exc.code().name} {exc.details()}"  # type: ignore[attr-defined]
    finished = is_finished(info)
    if made.expect == "finished" and not finished:
        return f"{where}: reported finished, found open"
    if made.expect == "open" and finished:
        return f"{where}: its finish failed, found finished"
    if not finished:
        return None  # an open commit's tree is checked once it is finished (finish_open)
    return _tree_problem(sdk, made, commit)


def _tree_problem(sdk: Any, made: Made, commit: pfs.Commit) -> str | None:
    found = read_tree(sdk, commit)
    if found == made.tree or (made.in_flight is not None and found == made.in_flight):
        return None
    differ = sorted(p for p in {*found, *made.tree} if found.get(p) != made.tree.get(p))
    return f"{made.branch} commit {made.id}: files differ at {differ}"


def _check_branch(sdk: Any, log: Writer) -> list[str]:
    """The branch's head is its last commit, or (a start unanswered) an empty open one on it."""
    if not log.made and not log.start_unanswered:
        return []
    head = sdk.pfs.inspect_branch(branch=branch_of(log.branch)).head
    last = log.made[-1].id if log.made else None
    if head.id == last:
        return []
    if not log.start_unanswered:
        return [f"{log.branch}: head {head.id}, expected {last}"]
    info = sdk.pfs.inspect_commit(commit=head)
    parent = info.parent_commit.id if info.parent_commit else None
    if is_finished(info) or (last is not None and parent != last):
        return [f"{log.branch}: head {head.id} is not an open child of {last}"]
    log.made.append(Made(log.branch, head.id, dict(log.made[-1].tree) if log.made else {}, "open"))
    return []


def finish_open(server: Served, logs: list[Writer]) -> list[str]:
    """Finish every commit left open (the server must take that after a restart) and check
    what each then holds: the acknowledged puts, and at most the one in flight."""
    sdk = server.sdk()
    problems = []
    for log in logs:
        for made in log.made:
            commit = pfs.Commit(id=made.id, branch=branch_of(made.branch))
            if is_finished(sdk.pfs.inspect_commit(commit=commit)):
                continue
            sdk.pfs.finish_commit(commit=commit)
            problem = _tree_problem(sdk, made, commit)
            if problem:
                problems.append(problem)
            made.expect = "finished"
    return problems


def count_commits(logs: list[Writer]) -> int:
    return sum(len(log.finished) for log in logs)


# SIGKILL under the writers ---------------------------------------------------------------


class Killable(Served, Protocol):
    proc: Any

    def stop(self) -> int: ...


Start = Callable[[Path, int], Killable]  # (root, port) -> a running server


def plain_server(root: Path, port: int) -> Killable:
    return start_server(root, port=port)


def up_daemon(root: Path, port: int) -> Killable:
    return start_daemon(root, root.parent, "--address", f"127.0.0.1:{port}")


STARTS: dict[str, Start] = {"pachlite up": up_daemon, "python -m pachlite.server": plain_server}


@dataclass
class KillTrial:
    problems: list[str]
    finished: int  # commits reported finished before the kill (each checked)
    left_open: int  # commits the kill left open (each finished after the restart, checked)
    errors: int  # errors the clients saw (each UNAVAILABLE, or it is a problem)
    killed_after_s: float

    @property
    def ok(self) -> bool:
        return not self.problems


def wait_until_answering(server: Served, timeout: float = 60.0) -> list[str]:
    """Retry until the server answers. Channels in one process share grpc's connections,
    and one that failed to connect while the server was down waits out grpc's reconnect
    backoff first (UNAVAILABLE meanwhile): what every client of a restarted pachd sees."""
    sdk = server.sdk()
    deadline = time.monotonic() + timeout
    while True:
        try:
            sdk.get_version()
            return []
        except (grpc.RpcError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _one_more(server: Killable, logs: list[Writer]) -> list[str]:
    """One more commit on every branch: the restarted server takes writes."""
    sdk = server.sdk()
    for log in logs:
        with sdk.pfs.commit(branch=branch_of(log.branch)) as commit:
            commit.put_file_from_bytes("/after", b"after the restart\n")
    return []


def _checked(server: Killable, checks: Callable[[], list[str]]) -> list[str]:
    """The checks' problems; a server that stops answering is one too, said with its state."""
    try:
        return checks()
    except (grpc.RpcError, ConnectionError) as exc:
        lines = "".join(getattr(server, "lines", []))
        return [
            f"the restarted server stopped answering ({exc}; exit {server.proc.poll()}) {lines}"
        ]


def kill_trial(start: Start, folder: Path, seed: int, sizes: Sizes) -> KillTrial:
    """Writers on a fresh store; SIGKILL the server after 1-3 s; start it again on the same
    root and port; check every promise, finish what was left open, make one more commit on
    every branch, stop it cleanly, and `pachlite fsck` the store."""
    root = folder / "store"
    port = free_port()
    delay = random.Random(seed).uniform(1.0, 3.0)
    server = start(root, port)
    try:
        prepare(server)
        logs, threads = start_writers(server, sizes)
        time.sleep(delay)
        server.proc.kill()
    finally:
        server.proc.kill()
        server.stop()
    for thread in threads:
        thread.join()
    problems = [f"{log.branch}: never failed" for log in logs if not log.errors]
    finished = count_commits(logs)
    server = start(root, port)
    try:
        problems += _checked(server, lambda: wait_until_answering(server))
        problems += _checked(server, lambda: check(server, logs, after_kill=True))
        left_open = sum(1 for log in logs for m in log.made if m.expect != "finished")
        problems += _checked(server, lambda: finish_open(server, logs))
        problems += _checked(server, lambda: _one_more(server, logs))
    finally:
        code = server.stop()
    if code != 0:
        problems.append(f"the restarted server exited {code} on a clean stop")
    fsck = Cli(root=root, cwd=folder)("fsck", check=False)
    if fsck.code != 0:
        problems.append(f"fsck exit {fsck.code}: {fsck.out.strip()} {fsck.err.strip()}")
    return KillTrial(
        problems,
        finished=finished,
        left_open=left_open,
        errors=sum(len(log.errors) for log in logs),
        killed_after_s=delay,
    )
