"""Crash and concurrency trials, shared by the quick tests (CI) and bench/reliability.py
(the 100-trial figures in docs/reliability.md).

Each crash trial SIGKILLs real pachlite processes, starts again, and checks what reproml
promises: `fsck` clean, no finished commit lost or changed, interrupted jobs finishing with
the same outputs as an uninterrupted run. A trial returns a Trial; a broken promise is a
Trial with ok=False and the reason, so the figures count failures instead of stopping.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pachlite import Client
from pachlite.model import JobState
from tests.support.crash_child import digest
from tests.support.repo import REPO_ROOT
from tests.support.spout_dag import emit_script, write_dag

CRASH_CHILD = REPO_ROOT / "tests" / "support" / "crash_child.py"
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


@dataclass
class Trial:
    scenario: str
    ok: bool
    detail: str = ""
    killed_at: float = 0.0
    checked: int = 0  # commits (or files) checked after the restart


def check_store(client: Client) -> str | None:
    report = client.fsck()
    return None if report.ok else f"fsck: {report.problems[:3]}"


def outputs(client: Client, branch: str) -> dict[str, str]:
    return {path: file_hash for path, _, file_hash in client.walk_file(f"{branch}:/")}


# SIGKILL during puts ----------------------------------------------------------------------


def put_trial(root: Path, seed: int, kept: list[tuple[str, str, str]]) -> Trial:
    """The random writer (tests/support/crash_child.py) killed after 0.3-2 s in a store that
    earlier kills left behind: fsck clean, and every commit it reported finished there.
    The commits promised by earlier trials are checked by `verify_kept` (once per chain: a
    changed commit stays changed, so checking at the end of the chain finds it)."""
    delay = random.Random(seed).uniform(0.3, 2.0)
    proc = subprocess.Popen(
        [sys.executable, str(CRASH_CHILD), str(root), str(seed), str(root.parent / "scratch")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    promises: list[tuple[str, str, str]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            _, repo, commit_id, content = line.decode().split()
            promises.append((repo, commit_id, content))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    assert proc.stderr is not None and proc.stdout is not None
    errors = proc.stderr.read().decode()
    proc.stderr.close()
    proc.stdout.close()
    if "Traceback" in errors:
        return Trial("put", False, f"the writer failed: {errors[-500:]}", delay)
    kept += promises
    problem = verify_kept(root, promises)
    return Trial("put", problem is None, problem or "", delay, len(promises))


def verify_kept(root: Path, promises: list[tuple[str, str, str]]) -> str | None:
    """fsck clean, and each promised commit finished with exactly the promised content."""
    with Client(root) as client:
        problem = check_store(client)
        if problem:
            return problem
        for repo, commit_id, content in promises:
            info = client.inspect_commit(f"{repo}@{commit_id}")
            state = {p: h for p, _, h in client.walk_file(f"{repo}@{commit_id}:/")}
            if not info.is_finished or digest(state) != content:
                return f"{repo}@{commit_id} changed after a crash"
    return None


# SIGKILL during a job ----------------------------------------------------------------------

JOB_SPEC = """
pipeline: {name: slowcopy}
transform:
  cmd: [%s, %s]
  env: {OUT_DIR: /pfs/out}
input: {pfs: {repo: in, glob: "/*"}}
parallelism_spec: {constant: 2}
"""
JOB_SCRIPT = """
import os, pathlib, time
time.sleep(0.02)
src = pathlib.Path(os.environ["in"])
pathlib.Path(os.environ["OUT_DIR"], src.name).write_bytes(src.read_bytes()[::-1])
"""


def job_trial(workdir: Path, seed: int, failpoint: str | None = None) -> Trial:
    """A 40-datum job killed at a random moment (or at a named failpoint: `job.merge`, while
    the outputs merge), then resumed: it must finish with exactly the uninterrupted outputs."""
    scenario = f"job@{failpoint}" if failpoint else "job"
    root = workdir / "store"
    script = workdir / "rev.py"
    script.write_text(JOB_SCRIPT)
    spec = workdir / "spec.yaml"
    spec.write_text(JOB_SPEC % (sys.executable, script))
    rng = random.Random(seed)
    expected = {}
    with Client(root) as client:
        client.create_repo("in")
        with client.commit("in@master"):
            for i in range(40):
                data = rng.randbytes(100)
                client.put_file_bytes(f"in@master:/f{i:02d}", data)
                expected[f"/f{i:02d}"] = hashlib.sha256(data[::-1]).hexdigest()
        before = {c.id: outputs(client, f"in@{c.id}") for c in client.list_commit("in")}
    env = {**ENV, "PACHLITE_ROOT": str(root)}
    if failpoint:
        env["PACHLITE_FAILPOINT"] = failpoint
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "create", "pipeline", "-f", str(spec)],
        env=env,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
    )
    delay = 0.0
    if failpoint:
        proc.wait(timeout=120)
        if proc.returncode != -signal.SIGKILL:
            return Trial(scenario, False, f"the failpoint was not reached ({proc.returncode})")
    else:
        delay = rng.uniform(0.5, 2.0)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with Client(root) as client:
        problem = check_store(client)
        if problem:
            return Trial(scenario, False, problem, delay)
        if {c.id: outputs(client, f"in@{c.id}") for c in client.list_commit("in")} != before:
            return Trial(scenario, False, "an input commit changed", delay)
        if "slowcopy" not in {p.name for p in client.list_pipeline()}:
            # Killed before it got as far as creating the pipeline (a loaded machine starts
            # Python slowly): run the command again, as its user would.
            client.create_pipeline(str(spec), workdir=str(workdir))
        client.run_pending()
        job = client.list_job(pipeline="slowcopy")[0]
        if job.state != JobState.SUCCESS:
            return Trial(scenario, False, f"the resumed job ended {job.state}", delay)
        got = outputs(client, "slowcopy@master")
        if got != expected:
            return Trial(scenario, False, "the resumed job's outputs differ", delay)
        problem = check_store(client)
        if problem:
            return Trial(scenario, False, problem, delay)
    return Trial(scenario, True, killed_at=delay, checked=len(got))


# SIGKILL during `pachlite up` ---------------------------------------------------------------

UP_EMIT = emit_script(6)


def run_up(folder: Path, kill_after: float | None) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pachlite", "up", "--until-idle", "-f", "pipelines"],
        cwd=folder,
        env={**ENV, "PACHLITE_ROOT": str(folder / "store")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # up, its spout and its user code: killed together
    )
    if kill_after is None:
        return proc.wait(timeout=300)
    time.sleep(kill_after)
    os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


UP_EXPECTED = {
    "shout": {
        f"/batch{i}.txt": hashlib.sha256(f"DATA {i}\n".encode()).hexdigest() for i in range(6)
    },
    "joined": {
        "/all": hashlib.sha256("".join(f"DATA {i}\n" for i in range(6)).encode()).hexdigest()
    },
}


def up_trial(workdir: Path, seed: int) -> Trial:
    """`pachlite up` (a spout, two pipelines) killed with its whole process group at a random
    moment, then started again until idle: the same final outputs as an uninterrupted run."""
    write_dag(workdir, UP_EMIT)  # the spout and two pipelines of tests/up
    delay = random.Random(seed).uniform(0.5, 4.0)
    run_up(workdir, delay)
    with Client(workdir / "store") as client:
        problem = check_store(client)
        if problem:
            return Trial("up", False, problem, delay)
        finished = {
            (r.name, c.id): outputs(client, f"{r.name}@{c.id}")
            for r in client.list_repo()
            for c in client.list_commit(r.name)
            if c.is_finished
        }
    code = run_up(workdir, None)
    if code != 0:
        return Trial("up", False, f"the restarted up exited {code}", delay)
    with Client(workdir / "store") as client:
        problem = check_store(client)
        if problem:
            return Trial("up", False, problem, delay)
        for (repo, commit_id), files in finished.items():
            if outputs(client, f"{repo}@{commit_id}") != files:
                return Trial("up", False, f"{repo}@{commit_id} changed after the restart", delay)
        for branch, want in UP_EXPECTED.items():
            if outputs(client, f"{branch}@master") != want:
                return Trial(
                    "up", False, f"{branch}@master differs from an uninterrupted run", delay
                )
    return Trial("up", True, killed_at=delay, checked=len(finished))


Scenario = Callable[[Path, int], Trial]


def scenarios() -> dict[str, Scenario]:
    """Each takes a fresh folder and a seed; `put` keeps one store across its trials."""
    return {
        "job (random kill)": lambda d, s: job_trial(d, s),
        "job (kill while outputs merge)": lambda d, s: job_trial(d, s, "job.merge"),
        "job (kill after datums, before outputs)": lambda d, s: job_trial(d, s, "job.datums-done"),
        "up (spout + 2 pipelines)": up_trial,
    }


# Concurrency --------------------------------------------------------------------------------

WRITER = """
import sys
from pachlite import Client
root, repo, worker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with Client(root) as client:
    for i in range(count):
        client.put_file_bytes(f"{repo}@master:/w{worker}/{i}", f"{worker}-{i}".encode())
"""


@dataclass
class Concurrency:
    processes: int
    commits_each: int
    same_repo: bool
    written: int = 0
    found: int = 0
    lock_errors: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and self.found == self.written and not self.lock_errors


def concurrency(workdir: Path, processes: int, commits_each: int, same_repo: bool) -> Concurrency:
    """`processes` writers × `commits_each` commits, into one repo or one repo each, while a
    pipeline job reads from the shared repo in another process."""
    result = Concurrency(processes, commits_each, same_repo)
    root = workdir / "store"
    repos = ["shared"] * processes if same_repo else [f"own{w}" for w in range(processes)]
    with Client(root) as client:
        for repo in sorted(set(repos)):
            client.create_repo(repo)
        client.put_file_bytes(f"{repos[0]}@master:/seed", b"seed")
        client.create_pipeline(
            {
                "pipeline": {"name": "watch"},
                "transform": {"cmd": ["sh", "-c", "sleep 0.05; ls -R $in > /pfs/out/listing"]},
                "input": {"pfs": {"repo": repos[0], "glob": "/"}},
            },
            workdir=str(workdir),
        )
    started = time.monotonic()
    runner = subprocess.Popen(  # a job running beside the writers, repeatedly
        [sys.executable, "-c", RUNNER, str(root), str(processes * commits_each)],
        env=ENV,
        stderr=subprocess.PIPE,
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), repo, str(w), str(commits_each)],
            env=ENV,
            stderr=subprocess.PIPE,
        )
        for w, repo in enumerate(repos)
    ]
    for proc in [*writers, runner]:
        _, err = proc.communicate(timeout=900)
        text = err.decode()
        result.lock_errors += text.lower().count("database is locked")
        if proc.returncode != 0:
            result.failures.append(text.strip().splitlines()[-1] if text.strip() else "exit")
    result.seconds = time.monotonic() - started
    result.written = processes * commits_each + 1
    with Client(root) as client:
        commits = sum(len(client.list_commit(r)) for r in sorted(set(repos)))
        result.found = commits
        for w, repo in enumerate(repos):
            files = {p for p, _, _ in client.walk_file(f"{repo}@master:/w{w}")}
            if len(files) != commits_each:
                result.failures.append(f"{repo}: writer {w} has {len(files)} files")
        history = client.list_commit(f"{repos[0]}@master")
        if history[-1].parent is not None:
            result.failures.append("the shared history is not one linear chain")
        client.run_pending()
        head = client.inspect_commit("watch@master")
        if head.direct_provenance != [
            f"{repos[0]}@{client.inspect_commit(f'{repos[0]}@master').id}"
        ]:
            result.failures.append(f"watch@master's provenance is {head.direct_provenance}")
        problem = check_store(client)
        if problem:
            result.failures.append(problem)
    return result


RUNNER = """
import sys, time
from pachlite import Client
root, total = sys.argv[1], int(sys.argv[2])
with Client(root) as client:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        client.run_pending()
        repos = [r.name for r in client.list_repo() if r.name != "watch"]
        count = sum(len(client.list_commit(name)) for name in repos)
        if count >= total + 1:
            break
        time.sleep(0.2)
"""
