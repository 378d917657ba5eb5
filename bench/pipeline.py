"""Pipeline benchmark: per-datum engine overhead, all-skipped jobs, incremental runs.

    python bench/pipeline.py [--datums 2000] [--skip-datums 10000] [--incremental-datums 1000]
                             [--verify-mib 256]

1. Overhead: a job of --datums datums whose transform is `cp` (parallelism 2), against running
   the same `cp` commands directly with 2 at a time: the difference per datum is what
   pachlite adds (materialising /pfs with every input hash-checked, the process group and
   its sweep for leftover processes, storing outputs, bookkeeping). Target <= 1 ms/datum
   (issue 15). The engine's own CPU time per datum is printed too: steadier than wall time
   on a loaded machine.
2. All skipped: --skip-datums datums, then an update that changes no datum: every datum is
   skipped. Target <= 0.1 ms/datum.
3. Incremental: a full run over --incremental-datums datums, then one file added. Target: the
   second job <= 3% of the first. With DVC installed (`make bench-dvc`), the same copy as a
   `dvc.yaml` stage, full `dvc repro` and after adding one file.
4. Verification: laying out one --verify-mib MiB input as a datum does (a copy hashed while
   it is written; hashing then hard-linking), against a plain copy and a plain link: the
   difference per MiB is what checking every byte costs.
Everything is measured in this one run and printed as a table of ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pachlite import Client

BENCH = Path(__file__).resolve().parent


def copy_spec(name: str, repo: str) -> dict[str, object]:
    return {
        "pipeline": {"name": name},
        "transform": {"cmd": ["cp", "-r", f"/pfs/{repo}/.", "/pfs/out/"]},
        "input": {"pfs": {"repo": repo, "glob": "/*"}},
        "parallelism_spec": {"constant": 2},
    }


def fill(client: Client, repo: str, count: int, work: Path) -> None:
    """One commit of `count` small files, put as a directory (one batch, like a data drop)."""
    local = work / f"{repo}-files"
    local.mkdir()
    for i in range(count):
        (local / f"f{i:06d}").write_bytes(os.urandom(64))
    client.create_repo(repo)
    client.put_file(f"{repo}@master:/", local, recursive=True)


def timed_jobs(client: Client) -> float:
    start = time.perf_counter()
    ran = client.run_pending()
    elapsed = time.perf_counter() - start
    assert ran and all(r.state.value == "JOB_SUCCESS" for r in ran), ran
    return elapsed


def direct_cp(work: Path, count: int) -> float:
    """The same number of `cp` processes, 2 at a time, without pachlite."""
    src = work / "direct-src"
    dst = work / "direct-dst"
    src.mkdir()
    dst.mkdir()
    for i in range(count):
        (src / f"f{i:06d}").write_bytes(os.urandom(64))

    def one(i: int) -> None:
        subprocess.run(["cp", str(src / f"f{i:06d}"), str(dst)], check=True)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - start


def overhead(client: Client, work: Path, datums: int) -> dict[str, float]:
    """A job of `datums` cp datums against the same cp commands run directly: seconds of each,
    and per datum what pachlite adds (wall) and the engine's own CPU time."""
    fill(client, "small", datums, work)
    client.create_pipeline(copy_spec("copy", "small"))
    before = resource.getrusage(resource.RUSAGE_SELF)
    job_s = timed_jobs(client)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cp_s = direct_cp(work, datums)
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {
        "job_s": job_s,
        "cp_s": cp_s,
        "overhead_ms": 1000 * (job_s - cp_s) / datums,
        "engine_cpu_ms": 1000 * cpu_s / datums,
    }


def verification_rows(work: Path, mib: int) -> list[tuple[str, str, str, str]]:
    """ms/MiB of a verified copy and a verified link of one object, against plain ones."""
    from pachlite.pfs.objects import ObjectStore

    objects = ObjectStore(work / "verify-store")
    source = work / "verify-src"
    with open(source, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))
    digest, _ = objects.put_file(source)
    source.unlink()
    stored = objects.path(digest)

    def best(action: Callable[[Path], None]) -> float:
        times = []
        for i in range(3):
            target = work / f"verify-{i}-{time.perf_counter_ns()}"
            start = time.perf_counter()
            action(target)
            times.append(time.perf_counter() - start)
            target.unlink()
        return 1000 * min(times) / mib

    with open(stored, "rb") as warm:  # the object in the page cache, as a fresh put leaves it
        while warm.read(1 << 24):
            pass
    plain_copy = best(lambda t: shutil.copyfile(stored, t))
    verified_copy = best(lambda t: objects.copy_verified(digest, t))
    plain_link = best(lambda t: os.link(stored, t))
    verified_link = best(lambda t: objects.link_verified(digest, t))
    return [
        (f"copy of a {mib} MiB input", "", f"{plain_copy:.2f} ms/MiB", ""),
        (
            "the same copy, hashed as it is written",
            "",
            f"{verified_copy:.2f} ms/MiB",
            f"+{verified_copy - plain_copy:.2f} ms/MiB",
        ),
        (
            "hash, then hard link (non-root default)",
            "",
            f"{verified_link:.2f} ms/MiB",
            f"+{verified_link - plain_link:.2f} ms/MiB over a link",
        ),
    ]


def find_dvc() -> str | None:
    local = BENCH / ".dvc-venv" / "bin" / "dvc"
    return str(local) if local.exists() else shutil.which("dvc")


def dvc_runs(dvc: str, work: Path, count: int) -> tuple[float, float]:
    project = work / "dvc"
    (project / "data").mkdir(parents=True)
    for i in range(count):
        (project / "data" / f"f{i:06d}").write_bytes(os.urandom(64))
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}

    def run(*args: str) -> None:
        subprocess.run([dvc, *args], cwd=project, env=env, check=True, capture_output=True)

    run("init", "--no-scm")
    (project / "dvc.yaml").write_text(
        "stages:\n  copy:\n    cmd: rm -rf out && mkdir out && cp data/* out/\n"
        "    deps: [data]\n    outs: [out]\n"
    )
    start = time.perf_counter()
    run("repro")
    full = time.perf_counter() - start
    (project / "data" / "extra").write_bytes(b"one more")
    start = time.perf_counter()
    run("repro")
    return full, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datums", type=int, default=2000)
    parser.add_argument("--skip-datums", type=int, default=10_000)
    parser.add_argument("--incremental-datums", type=int, default=1000)
    parser.add_argument("--verify-mib", type=int, default=256)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="reproml-pipeline-bench-") as tmp:
        work = Path(tmp)
        with Client(work / "store") as client:
            print("1/4 per-datum overhead ...", file=sys.stderr)
            cost = overhead(client, work, args.datums)
            job_s, cp_s = cost["job_s"], cost["cp_s"]
            overhead_ms, engine_cpu_ms = cost["overhead_ms"], cost["engine_cpu_ms"]
            rows.append(
                (
                    "job of cp datums (parallelism 2)",
                    f"{job_s:.2f} s",
                    f"{1000 * job_s / args.datums:.2f} ms/datum",
                    "",
                )
            )
            rows.append(
                (
                    "the same cp commands, 2 at a time",
                    f"{cp_s:.2f} s",
                    f"{1000 * cp_s / args.datums:.2f} ms/datum",
                    "",
                )
            )
            rows.append(
                (
                    "pachlite overhead beyond cp",
                    "",
                    f"{overhead_ms:.2f} ms/datum",
                    f"{overhead_ms / 1:.2f}x of 1 ms",
                )
            )
            rows.append(
                (
                    "engine CPU time of that job (user + system)",
                    "",
                    f"{engine_cpu_ms:.2f} ms/datum",
                    "",
                )
            )

            print("2/4 all-skipped job ...", file=sys.stderr)
            fill(client, "many", args.skip_datums, work)
            client.create_pipeline(copy_spec("skipper", "many"))
            timed_jobs(client)
            spec = copy_spec("skipper", "many")
            spec["description"] = "same datums, new version"
            client.update_pipeline(spec)
            skip_s = timed_jobs(client)
            job = client.list_job(pipeline="skipper")[0]
            assert job.data_skipped == args.skip_datums, job
            per = 1000 * skip_s / args.skip_datums
            rows.append(
                (
                    f"all-skipped job, {args.skip_datums} datums",
                    f"{skip_s:.2f} s",
                    f"{per:.3f} ms/datum",
                    f"{per / 0.1:.2f}x of 0.1 ms",
                )
            )

            print("3/4 incremental ...", file=sys.stderr)
            fill(client, "inc", args.incremental_datums, work)
            client.create_pipeline(copy_spec("incr", "inc"))
            full_s = timed_jobs(client)
            client.put_file_bytes("inc@master:/extra", b"one more")
            add_s = timed_jobs(client)
            job = client.list_job(pipeline="incr")[0]
            assert (job.data_processed, job.data_skipped) == (1, args.incremental_datums), job
            rows.append((f"full run, {args.incremental_datums} datums", f"{full_s:.2f} s", "", ""))
            rows.append(
                (
                    "after adding 1 file",
                    f"{add_s:.3f} s",
                    f"{100 * add_s / full_s:.2f}% of full",
                    f"{add_s / full_s / 0.03:.2f}x of 3%",
                )
            )
        print("4/4 verification ...", file=sys.stderr)
        rows.extend(verification_rows(work, args.verify_mib))
        dvc = find_dvc()
        if dvc:
            print("dvc repro ...", file=sys.stderr)
            dvc_full, dvc_add = dvc_runs(dvc, work, args.incremental_datums)
            rows.append(("dvc repro, full", f"{dvc_full:.2f} s", "", ""))
            rows.append(
                (
                    "dvc repro, after adding 1 file",
                    f"{dvc_add:.3f} s",
                    f"{100 * dvc_add / dvc_full:.1f}% of full",
                    f"pachlite {add_s / dvc_add:.2f}x of dvc",
                )
            )
        else:
            rows.append(("dvc repro", "not installed (make bench-dvc)", "", ""))
    print()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("measure", "time", "per datum / ratio", "vs target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
