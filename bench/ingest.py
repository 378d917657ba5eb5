"""Ingest benchmark: `cp -r` vs pachlite's recursive put (Python API and CLI) vs `dvc add`.

    python bench/ingest.py [--files 10000] [--size 102400] [--repeat 3] [--cli-files 2000]

One run measures, on generated trees (page cache warm for all, tools interleaved per round):
- the Python API (`Client.put_file(..., recursive=True)`, timed around the call in a fresh
  process) against `cp -r`, with PACHLITE_FSYNC unset and =1;
- the CLI (`pachlite put file -r`, process start included) with `sync` after it, against
  `cp -r && sync`, at --cli-files files, with PACHLITE_FSYNC unset and =1;
- `dvc add` when `make bench-dvc` has installed it in bench/.dvc-venv (or `dvc` is on PATH).
The table shows the median wall time, the median CPU time (user + system of the process; steadier
than wall time on a loaded machine) and their ratio to the `cp -r` row of the same case, then the
storage growth when the same tree is put a second time.
Targets (issue 15): API <= 1.1x `cp -r`; CLI + sync <= 1.5x `cp -r && sync`; < 1% re-put growth.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PACHLITE = [sys.executable, "-m", "pachlite"]


def generate_tree(root: Path, files: int, size: int, per_dir: int = 100) -> None:
    for i in range(files):
        folder = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:06d}.bin").write_bytes(os.urandom(size))


def disk_usage(path: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def settle() -> None:
    """Let the previous step's writeback and deletes finish, so each tool starts on a quiet disk."""
    os.sync()
    time.sleep(2)


def sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True, capture_output=True)


def find_dvc() -> str | None:
    local = BENCH / ".dvc-venv" / "bin" / "dvc"
    return str(local) if local.exists() else shutil.which("dvc")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_cpu(run: Callable[[], None]) -> tuple[float, float]:
    """(wall, CPU of the child processes) of `run`, after settling the disk."""
    settle()
    cpu = children_cpu()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start, children_cpu() - cpu


def store_env(store: Path, fsync: bool) -> dict[str, str]:
    env = {**os.environ, "PACHLITE_ROOT": str(store)}
    env.pop("PACHLITE_FSYNC", None)
    if fsync:
        env["PACHLITE_FSYNC"] = "1"
    return env


# The API case in a fresh process, timed around the call alone: what a script calling
# pachlite.Client pays, without the interpreter's start.
API_SCRIPT = """
import json, sys, time
import pachlite
client = pachlite.Client()
client.create_repo("bench")
cpu, start = time.process_time(), time.perf_counter()
client.put_file("bench@master:/tree", sys.argv[1], recursive=True)
print(json.dumps([time.perf_counter() - start, time.process_time() - cpu]))
"""


def run_cp(tree: Path, work: Path, sync: bool) -> tuple[float, float]:
    target = work / "cp-copy"

    def copy() -> None:
        sh("cp", "-r", tree, target)
        if sync:
            sh("sync")

    seconds = timed_cpu(copy)
    shutil.rmtree(target)
    return seconds


def run_api(tree: Path, work: Path, fsync: bool) -> tuple[float, float]:
    store = work / "pachlite-store"
    settle()
    done = subprocess.run(
        [sys.executable, "-c", API_SCRIPT, str(tree)],
        env=store_env(store, fsync),
        check=True,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(store)
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return wall, cpu


def run_cli(tree: Path, work: Path, fsync: bool) -> tuple[float, float]:
    store = work / "pachlite-store"
    env = store_env(store, fsync)
    sh(*PACHLITE, "create", "repo", "bench", env=env)

    def put_and_sync() -> None:
        sh(*PACHLITE, "put", "file", "-r", "bench@master:/tree", "-f", tree, env=env)
        sh("sync")

    seconds = timed_cpu(put_and_sync)
    shutil.rmtree(store)
    return seconds


def run_dvc(dvc: str, tree: Path, work: Path) -> tuple[float, float]:
    project = work / "dvc-project"
    project.mkdir()
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    sh(dvc, "init", "--no-scm", cwd=project, env=env)
    sh("cp", "-r", tree, project / "tree")
    seconds = timed_cpu(lambda: sh(dvc, "add", "tree", cwd=project, env=env))
    shutil.rmtree(project)
    return seconds


API_CASES = ("cp -r", "API", "API, PACHLITE_FSYNC=1")
CLI_CASES = ("cp -r && sync", "CLI && sync", "CLI && sync, PACHLITE_FSYNC=1")


def measure(
    files: int,
    size: int,
    *,
    repeat: int = 3,
    cases: tuple[str, ...] = API_CASES,
    dvc: bool = False,
) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s) per case for a tree of `files` x `size` bytes; cases are names
    from API_CASES and CLI_CASES (the cp rows are the baselines), plus "dvc add" with `dvc`."""
    with tempfile.TemporaryDirectory(prefix="reproml-bench-") as tmp:
        work = Path(tmp)
        tree = work / "tree"
        print(f"generating {files} files of {size} bytes ...", file=sys.stderr)
        generate_tree(tree, files, size)
        runs: dict[str, Callable[[], tuple[float, float]]] = {
            "cp -r": lambda: run_cp(tree, work, sync=False),
            "cp -r && sync": lambda: run_cp(tree, work, sync=True),
            "API": lambda: run_api(tree, work, fsync=False),
            "API, PACHLITE_FSYNC=1": lambda: run_api(tree, work, fsync=True),
            "CLI && sync": lambda: run_cli(tree, work, fsync=False),
            "CLI && sync, PACHLITE_FSYNC=1": lambda: run_cli(tree, work, fsync=True),
        }
        dvc_bin = find_dvc() if dvc else None
        if dvc_bin:
            runs["dvc add"] = lambda: run_dvc(dvc_bin, tree, work)
            cases = (*cases, "dvc add")
        samples: dict[str, list[tuple[float, float]]] = {case: [] for case in cases}
        for round_ in range(repeat):
            print(f"{files} files: round {round_ + 1}/{repeat}", file=sys.stderr)
            for case in cases:
                samples[case].append(runs[case]())
    return {
        case: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
        for case, s in samples.items()
    }


def print_table(title: str, rows: dict[str, tuple[float, float]], baseline: str) -> None:
    base_wall, base_cpu = rows[baseline]
    print(f"\n{title}\n")
    print("| case | wall s | x wall | CPU s | x CPU |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for case, (wall, cpu) in rows.items():
        print(
            f"| {case} | {wall:.2f} | {wall / base_wall:.2f} | {cpu:.2f} | "
            f"{cpu / base_cpu if base_cpu else float('nan'):.2f} |"
        )


def storage_growth(tree: Path, work: Path) -> tuple[int, int, int]:
    """Store size after one put, and growth after the same tree again (same path, new path)."""
    env = {**os.environ, "PACHLITE_ROOT": str(work / "growth-store")}
    sh(*PACHLITE, "create", "repo", "bench", env=env)
    sh(*PACHLITE, "put", "file", "-r", "bench@master:/tree", "-f", tree, env=env)
    first = disk_usage(work / "growth-store")
    sh(*PACHLITE, "put", "file", "-r", "bench@master:/tree", "-f", tree, env=env)
    second = disk_usage(work / "growth-store")
    sh(*PACHLITE, "put", "file", "-r", "bench@master:/tree-again", "-f", tree, env=env)
    third = disk_usage(work / "growth-store")
    shutil.rmtree(work / "growth-store")
    return first, second - first, third - second


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the API tree")
    parser.add_argument("--cli-files", type=int, default=2_000, help="files in the CLI tree")
    parser.add_argument("--size", type=int, default=100 * 1024, help="bytes per file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-growth", action="store_true", help="skip the re-put storage check")
    args = parser.parse_args(argv)

    api = measure(args.files, args.size, repeat=args.repeat, cases=API_CASES, dvc=True)
    cli = measure(args.cli_files, args.size, repeat=args.repeat, cases=CLI_CASES)
    mib = args.size / 2**20
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min); medians of {args.repeat}")
    print_table(
        f"Python API, {args.files} x {args.size} B ({args.files * mib:.0f} MiB); "
        "target API <= 1.1x cp -r",
        api,
        "cp -r",
    )
    print_table(
        f"CLI, {args.cli_files} x {args.size} B ({args.cli_files * mib:.0f} MiB), sync "
        "included; target <= 1.5x cp -r && sync",
        cli,
        "cp -r && sync",
    )
    if args.no_growth:
        return
    with tempfile.TemporaryDirectory(prefix="reproml-bench-") as tmp:
        work = Path(tmp)
        generate_tree(work / "tree", min(args.files, 2_000), args.size)
        first, same_path, new_path = storage_growth(work / "tree", work)
    print(f"\nstorage after one put: {first / 2**20:.1f} MiB on disk")
    for label, grown in (("same tree, same path", same_path), ("same tree, new path", new_path)):
        print(
            f"re-put ({label}): +{grown / 2**10:.0f} KiB = {100 * grown / first:.3f}%  "
            "(target < 1%)"
        )


if __name__ == "__main__":
    main()
