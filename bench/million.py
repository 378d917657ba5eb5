"""Million-datum benchmark: plan, skip and merge jobs of up to 1,000,000 datums.

    python bench/million.py [--datums 10000,100000,1000000] [--real-first 10000]

An input repo of N tiny files (one datum each, glob `/*`), a `cp` pipeline, then three jobs:

1. first: every datum is new. Up to --real-first datums it runs for real (one `cp` process per
   datum); above, the user processes are replaced by their result (each datum's output is its
   input file, what `cp` leaves) and everything else is the engine's own path: listing, datum
   generation, planning, recording every datum, the merge and the commit. A million `cp`
   processes would take a quarter of an hour on two cores and measure nothing of the engine.
2. all skipped: a second input commit that changes nothing the pipeline reads (the same bytes
   put again at one path): every datum skipped. Goal: under a minute at 1,000,000.
3. one added: one more file; N skipped, 1 processed.

Each step runs in its own process, so its peak RSS is its own (goal <= 1 GiB). The input
commit is made in one batched modification (objects stored, then one tree edit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO, PIPELINE = "many", "copy"
DISTINCT = 4096  # distinct contents among the input files (each file is tiny either way)


def _spec() -> dict[str, object]:
    return {
        "pipeline": {"name": PIPELINE},
        "transform": {"cmd": ["cp", "-r", f"/pfs/{REPO}/.", "/pfs/out/"]},
        "input": {"pfs": {"repo": REPO, "glob": "/*"}},
        "parallelism_spec": {"constant": 2},
    }


def _create(root: Path, count: int) -> None:
    from pachlite import Client
    from pachlite.pfs import files
    from pachlite.uri import parse_commit_ref

    with Client(root) as client:
        client.create_repo(REPO)
        objects = client.store.objects
        blobs = [objects.put_bytes(f"datum {i}\n".encode()) for i in range(DISTINCT)]
        ops: list[files.Op] = []
        for i in range(count):
            digest, size = blobs[i % DISTINCT]
            ops.append(files.Put(f"/f{i:07d}", digest, size))
        files.modify(client.store, parse_commit_ref(f"{REPO}@master"), ops)
        client.create_pipeline(_spec())


def _first(root: Path, real: bool) -> None:
    from pachlite import Client

    with Client(root) as client:
        if real:
            ran = client.run_pending()
            assert ran and all(r.state.value == "JOB_SUCCESS" for r in ran), ran
        else:
            _run_without_processes(client)


def _run_without_processes(client: object) -> None:
    """The engine's whole job path (`run_job`), each datum's process replaced by what `cp`
    would leave: its input file as its output."""
    from pachlite.model import DatumState, JobState
    from pachlite.pfs.files import Put
    from pachlite.pps.datums import Datum
    from pachlite.ppsdb import jobs as job_table
    from pachlite.worker import jobs
    from pachlite.worker.datum import DatumResult

    def as_cp(_ctx: object, datum: Datum, **_: object) -> DatumResult:
        now = time.time()
        puts = [Put(i.path, i.hash, i.size) for i in datum.items]
        return DatumResult(datum, DatumState.SUCCESS, None, puts, 1, now, now, [])

    store = client.store  # type: ignore[attr-defined]
    jobs.ensure_jobs(store)
    (row_id,) = [j.id for j in job_table.open_jobs(store.db)]
    state = jobs.run_job(store, row_id, run=as_cp)
    assert state == JobState.SUCCESS, state


def _again(root: Path, add: bool) -> None:
    from pachlite import Client

    with Client(root) as client:
        if add:
            client.put_file_bytes(f"{REPO}@master:/extra", b"one more\n")
        else:
            client.put_file_bytes(f"{REPO}@master:/f0000000", b"datum 0\n")  # same bytes
        ran = client.run_pending()
        assert ran and all(r.state.value == "JOB_SUCCESS" for r in ran), ran


def _step(args: list[str]) -> dict[str, float]:
    """Run one step in a fresh interpreter: its wall time and peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--step", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure(
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), real_first: int = 10_000
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="reproml-million-") as tmp:
            root = str(Path(tmp) / "store")
            create = _step(["create", root, str(count)])
            real = count <= real_first
            first = _step(["first", root, "real" if real else "engine"])
            skip = _step(["skip", root])
            add = _step(["add", root])
            check = _step(["check", root, str(count)])
            assert check["ok"] == 1.0, check
        rows.append(
            {
                "datums": count,
                "create input s": round(create["s"], 2),
                "first job": "real cp" if real else "no processes",
                "first job s": round(first["s"], 2),
                "all-skipped s": round(skip["s"], 2),
                "ms/datum skipped": round(1000 * skip["s"] / count, 4),
                "all-skipped CPU s": round(skip["cpu"], 2),
                "one-added s": round(add["s"], 2),
                "peak RSS MiB": round(max(first["rss"], skip["rss"], add["rss"]) / 1024, 0),
                "skip RSS MiB": round(skip["rss"] / 1024, 0),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def _check(root: Path, count: int) -> float:
    from pachlite import Client

    with Client(root) as client:
        jobs = client.list_job(pipeline=PIPELINE)
        latest = jobs[0]
        ok = (latest.data_processed, latest.data_skipped) == (1, count) and len(jobs) == 3
        ok = ok and jobs[1].data_skipped == count
        return 1.0 if ok else 0.0


def _run_step(argv: list[str]) -> None:
    kind, root = argv[0], Path(argv[1])
    start, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, float] = {}
    if kind == "create":
        _create(root, int(argv[2]))
    elif kind == "first":
        _first(root, argv[2] == "real")
    elif kind in ("skip", "add"):
        _again(root, kind == "add")
    else:
        extra["ok"] = _check(root, int(argv[2]))
    elapsed = time.perf_counter() - start
    extra["cpu"] = time.process_time() - cpu  # user + system: steadier than wall on a busy host
    print(json.dumps({"s": elapsed, "rss": float(peak_rss_kib()), **extra}))


def peak_rss_kib() -> int:
    """This process's own peak RSS (VmHWM). Not `ru_maxrss`: Linux carries that over exec
    from the parent, so a step started by a big process reports the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--step"]:
        _run_step(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datums", default="10000,100000,1000000")
    parser.add_argument("--real-first", type=int, default=10_000)
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.datums.split(","))
    rows = measure(sizes, args.real_first)
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
    last = rows[-1]
    print(
        f"\nall-skipped at {last['datums']} datums: {last['all-skipped s']} s "
        f"({float(str(last['all-skipped s'])) / 60:.2f}x of the 60 s goal); peak RSS "
        f"{last['peak RSS MiB']} MiB ({float(str(last['peak RSS MiB'])) / 1024:.2f}x of 1 GiB)"
    )


if __name__ == "__main__":
    main()
