"""CLI start-up: how long a light `pachlite` verb takes from exec to exit, against `python -c pass`.

    python bench/cli_startup.py [--runs 21] [--code DIR] [--against OLD_DIR]

Each command runs --runs times, interleaved (one of each in turn, so drift in the machine's load
falls on every row alike), after one untimed start of each that caches its bytecode; the table
shows the median wall time and its ratio to the physical floor, a bare interpreter start
(`python -c pass`, same interpreter, same site-packages), for wall time and for CPU time (user +
system of the child: on a shared machine, the steadier one), with the minimum of each (the least
disturbed start).
Target: every light verb <= 80 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
CONSOLE_SCRIPT = str(Path(sys.executable).parent / "pachlite")
MODULE = [PYTHON, "-m", "pachlite"]
GOAL_MS = 80.0


def _commands() -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass (floor)", [PYTHON, "-c", "pass"]),
        ("pachlite list repo", [CONSOLE_SCRIPT, "list", "repo"]),
        ("python -m pachlite list repo", [*MODULE, "list", "repo"]),
        ("pachlite list commit demo", [CONSOLE_SCRIPT, "list", "commit", "demo"]),
        (
            "pachlite get file demo@master:/hi.txt",
            [CONSOLE_SCRIPT, "get", "file", "demo@master:/hi.txt"],
        ),
        (
            "pachlite inspect commit demo@master",
            [CONSOLE_SCRIPT, "inspect", "commit", "demo@master"],
        ),
        ("pachlite --version", [CONSOLE_SCRIPT, "--version"]),
        ("pachlite --help", [CONSOLE_SCRIPT, "--help"]),
    ]


def _prepare(root: Path, env: dict[str, str]) -> None:
    """A store with one repo and one file, made through the CLI (not timed)."""
    src = root.parent / "hi.txt"
    src.write_text("hi\n")
    for args in (
        ["create", "repo", "demo"],
        ["put", "file", "demo@master:/hi.txt", "-f", str(src)],
    ):
        subprocess.run([*MODULE, *args], env=env, cwd=root.parent, check=True, capture_output=True)


def _once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU time is what a loaded machine inflates least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # cwd outside the checkout: `python -m` puts the cwd first on sys.path, before PYTHONPATH.
    subprocess.run(
        argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(
    runs: int = 21, code: str | None = None, against: str | None = None
) -> list[dict[str, object]]:
    """One row per command: median milliseconds over `runs` starts, and its ratio to the floor.

    `code`: a folder holding another `pachlite` package to time instead of the installed one
    (e.g. an older commit's, from `git archive`), put first on PYTHONPATH. `against`: a second
    such folder, timed in the same loop (each command of one, then of the other, in turn), so
    both sets of rows meet the same load; its rows are named `[against] command`.
    """
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as tmp:
        root = Path(tmp) / "store"
        envs = {"": _env(root, code)}
        if against:
            envs["[against] "] = _env(root, against)
        _prepare(root, envs[""])
        commands = [
            (label + name, argv, env) for label, env in envs.items() for name, argv in _commands()
        ]
        if against:  # one of each in turn: the command, then the same under `against`
            commands.sort(key=lambda row: [n for n, _ in _commands()].index(_bare(row[0])))
        for _, argv, env in commands:  # untimed: caches the bytecode of either tree
            _once(argv, env, Path(tmp))
        wall: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        for _ in range(runs):
            for name, argv, env in commands:
                w, c = _once(argv, env, Path(tmp))
                wall[name].append(w)
                cpu[name].append(c)
    rows: list[dict[str, object]] = []
    for name, _, _ in commands:
        floor_name = name[: len(name) - len(_bare(name))] + _commands()[0][0]
        floor = statistics.median(wall[floor_name])
        cpu_floor = statistics.median(cpu[floor_name])
        ms = statistics.median(wall[name])
        rows.append(
            {
                "command": name,
                "median_ms": round(ms * 1000, 1),
                "min_ms": round(min(wall[name]) * 1000, 1),
                "vs_floor": round(ms / floor, 2),
                "cpu_ms": round(statistics.median(cpu[name]) * 1000, 1),
                "min_cpu_ms": round(min(cpu[name]) * 1000, 1),
                "cpu_vs_floor": round(statistics.median(cpu[name]) / cpu_floor, 2),
                "goal_ms": None if name.endswith("(floor)") else GOAL_MS,
            }
        )
    return rows


def _env(root: Path, code: str | None) -> dict[str, str]:
    env = {**os.environ, "PACHLITE_ROOT": str(root)}
    # A user's start reads the bytecode its first start cached; with PYTHONDONTWRITEBYTECODE
    # set (as in some sandboxes) and no cache yet, every start compiles pachlite (~50 ms).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if code:
        env["PYTHONPATH"] = code
    return env


def _bare(name: str) -> str:
    return name.removeprefix("[against] ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--code", help="time the pachlite package in this folder instead")
    parser.add_argument(
        "--against", help="also time the pachlite package in this folder, interleaved"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    rows = measure(args.runs, args.code, args.against)
    after = os.getloadavg()
    print(
        f"load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} before, "
        f"{after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after; {args.runs} runs each\n"
    )
    print(
        "| command | median ms | min ms | vs python -c pass | CPU ms | min CPU ms | CPU vs floor "
        "| goal |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        goal = "-" if row["goal_ms"] is None else f"<= {row['goal_ms']:.0f} ms"
        print(
            f"| `{row['command']}` | {row['median_ms']} | {row['min_ms']} | "
            f"{row['vs_floor']}x | {row['cpu_ms']} | {row['min_cpu_ms']} | {row['cpu_vs_floor']}x "
            f"| {goal} |"
        )


if __name__ == "__main__":
    main()
