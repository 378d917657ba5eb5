"""Ingest benchmark: `cp -r` vs `pachlite put file -r` vs `dvc add` on one generated tree.

    python bench/ingest.py [--files 10000] [--size 102400] [--repeat 3]

Each tool runs --repeat times on the same tree (page cache warm for all); the table shows the
median wall time and its ratio to `cp -r` and to `dvc add`, then the storage growth when the
same tree is put a second time. DVC is measured when `make bench-dvc` has installed it in
bench/.dvc-venv (or `dvc` is on PATH); otherwise its rows say "not installed".
Targets: pachlite <= 1.2x cp -r, <= 0.6x dvc add, < 1% growth on a re-put.
"""

from __future__ import annotations

import argparse
import os
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


def timed(run: Callable[[], None]) -> float:
    settle()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True, capture_output=True)


def find_dvc() -> str | None:
    local = BENCH / ".dvc-venv" / "bin" / "dvc"
    return str(local) if local.exists() else shutil.which("dvc")


def bench_cp(tree: Path, work: Path) -> float:
    target = work / "cp-copy"
    seconds = timed(lambda: sh("cp", "-r", tree, target))
    shutil.rmtree(target)
    return seconds


def bench_pachlite(tree: Path, work: Path) -> float:
    env = {**os.environ, "PACHLITE_ROOT": str(work / "pachlite-store")}
    sh(*PACHLITE, "create", "repo", "bench", env=env)
    seconds = timed(
        lambda: sh(*PACHLITE, "put", "file", "-r", "bench@master:/tree", "-f", tree, env=env)
    )
    shutil.rmtree(work / "pachlite-store")
    return seconds


def bench_dvc(dvc: str, tree: Path, work: Path) -> float:
    project = work / "dvc-project"
    project.mkdir()
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    sh(dvc, "init", "--no-scm", cwd=project, env=env)
    sh("cp", "-r", tree, project / "tree")
    seconds = timed(lambda: sh(dvc, "add", "tree", cwd=project, env=env))
    shutil.rmtree(project)
    return seconds


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
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=100 * 1024, help="bytes per file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="reproml-bench-") as tmp:
        work = Path(tmp)
        tree = work / "tree"
        print(f"generating {args.files} files of {args.size} bytes ...", file=sys.stderr)
        generate_tree(tree, args.files, args.size)
        dvc = find_dvc()
        times: dict[str, list[float]] = {"cp -r": [], "pachlite put file -r": [], "dvc add": []}
        for round_ in range(args.repeat):
            print(f"round {round_ + 1}/{args.repeat}", file=sys.stderr)
            times["cp -r"].append(bench_cp(tree, work))
            times["pachlite put file -r"].append(bench_pachlite(tree, work))
            if dvc:
                times["dvc add"].append(bench_dvc(dvc, tree, work))
        first, same_path, new_path = storage_growth(tree, work)

    median = {tool: statistics.median(t) for tool, t in times.items() if t}
    cp, dvc_t = median["cp -r"], median.get("dvc add")
    total_mib = args.files * args.size / 2**20
    print(
        f"\ningest of {args.files} files x {args.size} B ({total_mib:.0f} MiB), "
        f"median of {args.repeat}\n"
    )
    print(f"{'tool':<22}{'seconds':>9}{'MiB/s':>9}{'x cp -r':>9}{'x dvc add':>11}  target")
    for tool in times:
        if tool not in median:
            print(f"{tool:<22}{'not installed (make bench-dvc)':>38}")
            continue
        t = median[tool]
        vs_dvc = f"{t / dvc_t:.2f}" if dvc_t else "-"
        target = "<= 1.2x cp, <= 0.6x dvc" if tool.startswith("pachlite") else ""
        print(f"{tool:<22}{t:>9.2f}{total_mib / t:>9.0f}{t / cp:>9.2f}{vs_dvc:>11}  {target}")
    print(f"\nstorage after one put: {first / 2**20:.1f} MiB on disk")
    for label, grown in (("same tree, same path", same_path), ("same tree, new path", new_path)):
        print(
            f"re-put ({label}): +{grown / 2**10:.0f} KiB = {100 * grown / first:.3f}%  "
            "(target < 1%)"
        )


if __name__ == "__main__":
    main()
