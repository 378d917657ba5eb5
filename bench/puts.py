"""Put benchmark: many single `put_file_bytes` calls into one open commit, flat directory.

    python bench/puts.py [--sizes 100,1000,10000,100000]

For each size, a fresh store gets one open commit and that many single puts of a few bytes
each into one directory (the case of a spout writing many small files), through the Python
API; then the commit is finished. The table shows puts per second, ms per put, the finish
time, and two ratios: ms per put against the same count at 1,000 files (goal: <= 1.3x at
100,000) and against the physical limit of writing that many small files straight into one
directory with open/write/close (what a put must do at least: store the bytes once). CPU
ms per put is this process's CPU time: on a shared machine it moves less than wall time.
Goal: <= 0.5 ms per put at every size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = (100, 1_000, 10_000, 100_000)
GOAL_MS = 0.5
GOAL_RATIO = 1.3


def _payload(i: int) -> bytes:
    return f"record {i}\n".encode()


def raw_file_ms(files: int, folder: Path) -> float:
    """ms per file to write `files` small files into one directory: the physical limit."""
    folder.mkdir()
    started = time.perf_counter()
    for i in range(files):
        with open(folder / f"f{i:06d}", "wb") as out:
            out.write(_payload(i))
    return (time.perf_counter() - started) * 1000 / files


def measure_one(files: int, workdir: Path) -> dict[str, object]:
    from pachlite.client import Client

    client = Client(workdir / "store")
    try:
        client.create_repo("spout")
        info = client.start_commit("spout@master")
        target = f"spout@{info.id}"
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(files):
            client.put_file_bytes(f"{target}:/f{i:06d}", _payload(i))
        put_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
        started = time.perf_counter()
        client.finish_commit(target)
        finish_s = time.perf_counter() - started
        listed = len(client.list_file("spout@master:/"))
        assert listed == files, f"{listed} files listed, {files} put"
    finally:
        client.close()
    raw_ms = raw_file_ms(files, workdir / "raw")
    ms = put_s * 1000 / files
    return {
        "files": files,
        "puts_per_s": round(files / put_s),
        "ms_per_put": round(ms, 3),
        "cpu_ms_per_put": round(cpu_s * 1000 / files, 3),
        "finish_s": round(finish_s, 3),
        "raw_ms_per_file": round(raw_ms, 4),
        "x_raw": round(ms / raw_ms, 1),
    }


def measure(sizes: tuple[int, ...] = DEFAULT_SIZES) -> list[dict[str, object]]:
    """One row per size; `x_1000` is ms per put against that at 1,000 files (when measured)."""
    rows = []
    for files in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-puts-") as tmp:
            rows.append(measure_one(files, Path(tmp)))
    at_1000 = next((r["ms_per_put"] for r in rows if r["files"] == 1_000), None)
    for row in rows:
        row["x_1000"] = (
            round(float(str(row["ms_per_put"])) / float(str(at_1000)), 2) if at_1000 else None
        )
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| files | puts/s | ms/put | x at 1,000 | CPU ms/put | finish (s) | raw write ms/file"
        " | x raw |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['files']:,} | {r['puts_per_s']:,} | {r['ms_per_put']} | {r['x_1000']} "
            f"| {r['cpu_ms_per_put']} | {r['finish_s']} | {r['raw_ms_per_file']} | {r['x_raw']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    rows = measure(sizes)
    print(f"load average {os.getloadavg()[0]:.2f}; goal <= {GOAL_MS} ms/put, "
          f"<= {GOAL_RATIO}x at 100,000 against 1,000")  # fmt: skip
    print(table(rows))


if __name__ == "__main__":
    main()
