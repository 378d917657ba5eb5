"""Issue 15's performance goals, each measured once, in one run: goal, figure, verdict.

    python bench/goals.py [--quick] [--skip make-run,million,...] [--table FILE] [--json FILE]

One row per goal, measured by the benchmark that owns it (each module's `measure()`), in this
order, on whatever machine runs it (the figures mean most on a quiet one: every row records
the load average when it was measured):

- puts (bench/puts.py, 1,000 and 100,000 files in one open commit): <= 0.5 ms/put at 1,000,
  and at 100,000 within 1.3x of that;
- cli (bench/cli_startup.py, 21 starts of each light verb): `pachlite list repo` median
  <= 80 ms;
- ingest-api (bench/ingest.py, 10,000 x 100 KiB): `put_file` <= 1.1x `cp -r` (wall, median
  of 3);
- ingest-cli (bench/ingest.py, 2,000 x 100 KiB, `sync` included for both): <= 1.5x
  `cp -r && sync`;
- million (bench/million.py, 1,000,000 datums): the all-skipped job < 60 s, and every step's
  peak RSS <= 1 GiB;
- per-datum (bench/pipeline.py's overhead, 2,000 `cp` datums): <= 1 ms per datum beyond `cp`;
- make-run (`make run` from an empty store): <= 180 s, with the test mean IoU >= 0.64.

--quick: small sizes and no `make run` (a minute or two), for iteration and tests; its verdicts
mean nothing. Exit status 0 either way: a benchmark reports, it does not gate.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import cli_startup  # noqa: E402
import ingest  # noqa: E402
import million  # noqa: E402
import pipeline  # noqa: E402
import puts  # noqa: E402

GOALS = ("puts", "cli", "ingest-api", "ingest-cli", "million", "per-datum", "make-run")
MAKE_RUN_S, MIN_IOU = 180.0, 0.64
MILLION_S, MILLION_MIB = 60.0, 1024.0


@dataclass(frozen=True)
class Verdict:
    goal: str
    target: str
    measured: str
    met: bool
    load: float  # 1-minute load average when the measurement began
    seconds: float  # how long measuring it took


@dataclass(frozen=True)
class Sizes:
    put_files: tuple[int, int]
    cli_runs: int
    ingest_api: tuple[int, int]  # files, bytes each
    ingest_cli: tuple[int, int]
    million: int
    datums: int


FULL = Sizes((1_000, 100_000), 21, (10_000, 100 * 1024), (2_000, 100 * 1024), 1_000_000, 2_000)
QUICK = Sizes((100, 1_000), 3, (100, 16 * 1024), (50, 16 * 1024), 2_000, 100)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def goal_puts(sizes: Sizes) -> tuple[str, str, bool]:
    small, large = sizes.put_files
    rows = {int(str(r["files"])): r for r in puts.measure((small, large))}
    at_small, at_large = (float(str(rows[n]["ms_per_put"])) for n in (small, large))
    ratio = at_large / at_small
    target = f"<= {puts.GOAL_MS} ms/put at {small:,}; {large:,} within {puts.GOAL_RATIO}x"
    measured = f"{at_small:.3f} ms at {small:,}, {at_large:.3f} ms at {large:,} ({ratio:.2f}x)"
    return target, measured, at_small <= puts.GOAL_MS and ratio <= puts.GOAL_RATIO


def goal_cli(sizes: Sizes) -> tuple[str, str, bool]:
    rows = {str(r["command"]): r for r in cli_startup.measure(runs=sizes.cli_runs)}
    ms = float(str(rows["pachlite list repo"]["median_ms"]))
    floor = float(str(rows["python -c pass (floor)"]["median_ms"]))
    slowest = max(
        (r for name, r in rows.items() if name.startswith("pachlite")),
        key=lambda r: float(str(r["median_ms"])),
    )
    measured = (
        f"`pachlite list repo` {ms:.1f} ms median (floor `python -c pass` {floor:.1f} ms; "
        f"slowest light verb {slowest['command']} {slowest['median_ms']} ms)"
    )
    target = f"`pachlite list repo` <= {cli_startup.GOAL_MS:.0f} ms"
    return target, measured, ms <= cli_startup.GOAL_MS


def _ingest(files: int, size: int, cases: tuple[str, ...], base: str, case: str) -> float:
    rows = ingest.measure(files, size, cases=cases)
    return rows[case][0] / rows[base][0]


def goal_ingest_api(sizes: Sizes) -> tuple[str, str, bool]:
    files, size = sizes.ingest_api
    ratio = _ingest(files, size, ("cp -r", "API"), "cp -r", "API")
    return (
        f"`put_file` of {files:,} x {size // 1024} KiB <= 1.1x `cp -r`",
        f"{ratio:.2f}x `cp -r` (wall)",
        ratio <= 1.1,
    )


def goal_ingest_cli(sizes: Sizes) -> tuple[str, str, bool]:
    files, size = sizes.ingest_cli
    ratio = _ingest(files, size, ("cp -r && sync", "CLI && sync"), "cp -r && sync", "CLI && sync")
    return (
        f"`put file -r` of {files:,} x {size // 1024} KiB, sync included, <= 1.5x `cp -r && sync`",
        f"{ratio:.2f}x (wall)",
        ratio <= 1.5,
    )


def goal_million(sizes: Sizes) -> tuple[str, str, bool]:
    count = sizes.million
    (row,) = million.measure((count,))
    skipped_s, peak = float(str(row["all-skipped s"])), float(str(row["peak RSS MiB"]))
    return (
        f"{count:,} datums: all-skipped < {MILLION_S:.0f} s, peak RSS <= {MILLION_MIB:.0f} MiB",
        f"all-skipped {skipped_s:.1f} s; peak RSS {peak:.0f} MiB "
        f"(first job {row['first job s']} s)",
        skipped_s < MILLION_S and peak <= MILLION_MIB,
    )


def goal_per_datum(sizes: Sizes) -> tuple[str, str, bool]:
    from pachlite import Client

    with (
        tempfile.TemporaryDirectory(prefix="bench-goals-datum-") as tmp,
        Client(Path(tmp) / "store") as client,
    ):
        cost = pipeline.overhead(client, Path(tmp), sizes.datums)
    ms = cost["overhead_ms"]
    return (
        f"<= 1 ms per datum beyond `cp` ({sizes.datums:,} datums)",
        f"{ms:.2f} ms/datum (engine CPU {cost['engine_cpu_ms']:.2f} ms/datum)",
        ms <= 1.0,
    )


def goal_make_run(_sizes: Sizes) -> tuple[str, str, bool]:
    """`make run` on an empty store and run folder; the test IoU its evaluate step wrote."""
    from pachlite import Client

    with tempfile.TemporaryDirectory(prefix="bench-goals-run-") as tmp:
        env = {
            **os.environ,
            "PACHLITE_ROOT": str(Path(tmp) / ".pachlite"),
            "RUN_DIR": str(Path(tmp) / ".run"),
        }
        log_file = Path(tmp) / "make-run.log"
        start = time.perf_counter()
        with open(log_file, "wb") as out:
            done = subprocess.run(
                ["make", "-s", "run"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
            )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            tail = log_file.read_text(errors="replace")[-2000:]
            return f"<= {MAKE_RUN_S:.0f} s", f"make run failed ({done.returncode}): {tail}", False
        with Client(Path(tmp) / ".pachlite") as client:
            metrics = json.loads(client.get_file("evaluate@master:/metrics.json"))
    iou = float(metrics["mean_iou"])
    return (
        f"<= {MAKE_RUN_S:.0f} s, test mean IoU >= {MIN_IOU}",
        f"{seconds:.0f} s, test mean IoU {iou:.4f}",
        seconds <= MAKE_RUN_S and iou >= MIN_IOU,
    )


MEASURES: dict[str, Callable[[Sizes], tuple[str, str, bool]]] = {
    "puts": goal_puts,
    "cli": goal_cli,
    "ingest-api": goal_ingest_api,
    "ingest-cli": goal_ingest_cli,
    "million": goal_million,
    "per-datum": goal_per_datum,
    "make-run": goal_make_run,
}


def measure(goals: tuple[str, ...], sizes: Sizes) -> list[Verdict]:
    verdicts = []
    for goal in goals:
        load = os.getloadavg()[0]
        log(f"{goal} ... (load {load:.2f})")
        start = time.perf_counter()
        target, measured, met = MEASURES[goal](sizes)
        verdicts.append(Verdict(goal, target, measured, met, load, time.perf_counter() - start))
        log(f"{goal}: {measured} -> {'met' if met else 'NOT met'}")
    return verdicts


def stamp() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when}, commit {commit or 'unknown'}, {os.cpu_count()} cores"


def markdown(verdicts: list[Verdict], label: str) -> str:
    lines = [
        f"Issue 15's goals, measured in one run ({label}):",
        "",
        "| goal | target | measured | met | load at start | took |",
        "| --- | --- | --- | --- | ---: | ---: |",
    ]
    for v in verdicts:
        met = "yes" if v.met else "**no**"
        lines.append(
            f"| {v.goal} | {v.target} | {v.measured} | {met} | {v.load:.2f} | {v.seconds:.0f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no make run")
    parser.add_argument("--skip", default="", help="comma-separated goals to leave out")
    parser.add_argument("--table", type=Path, help="also write the markdown table here")
    parser.add_argument("--json", type=Path, help="also write the verdicts as JSON here")
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    unknown = skip - set(GOALS)
    if unknown:
        parser.error(f"no such goal: {', '.join(sorted(unknown))} (goals: {', '.join(GOALS)})")
    if args.quick:
        skip.add("make-run")
    goals = tuple(g for g in GOALS if g not in skip)
    label = stamp()
    verdicts = measure(goals, QUICK if args.quick else FULL)
    text = markdown(verdicts, label)
    print(text)
    if args.table:
        args.table.write_text(text + "\n")
    if args.json:
        payload = {"stamp": label, "goals": [asdict(v) for v in verdicts]}
        args.json.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
