"""Scaling curves: six of pachlite's costs against size, with DVC beside it, in one run.

    python bench/scaling.py [--max-datums 1000000] [--quick] [--out docs/performance-scaling.png]
                            [--table FILE] [--json FILE] [--from-json FILE] [--no-dvc]

Curves (one panel each in the PNG, one table each in the markdown):

1. puts: ms per single `put_file_bytes` into one open commit against the files in it
   (`bench/puts.py`), beside the raw write of one small file (the physical limit). DVC has
   no open commit to put into: no DVC column.
2. ingest: seconds for `put file -r` against tree size (`bench/ingest.py`), beside `cp -r`
   (the physical limit) and `dvc add`.
3. all-skipped job: ms per datum of a job where every datum is skipped, against datums, up to
   --max-datums (`bench/million.py`); DVC: `dvc repro` with nothing changed over a stage whose
   dep is a directory of N files.
4. incremental job: seconds of the job after one file is added (`bench/million.py`); DVC:
   `dvc repro` after adding one file (DVC reruns the whole stage).
5. commit cost against history length: ms of one small commit after N commits on the branch;
   DVC: `dvc add` of one small file + `git add` + `git commit` after N git commits.
6. CLI start-up: median ms of light verbs (`bench/cli_startup.py`) and of `dvc --version`,
   `dvc status`, beside `python -c pass`.

Each point logs one line to stderr as it is measured. The markdown is stamped with the date,
the commit (`git rev-parse --short HEAD`) and the load average. DVC is measured when
`make bench-dvc` has installed it in bench/.dvc-venv (or `dvc` is on PATH); otherwise the DVC
columns say "not installed". --quick: small sizes (a minute or two), for iteration and tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import cli_startup  # noqa: E402
import ingest  # noqa: E402
import million  # noqa: E402
import puts  # noqa: E402

NOT_INSTALLED = "not installed"
CURVES = ("puts", "ingest", "all-skipped", "incremental", "history", "cli")
TITLES = {
    "puts": "put time against files in one open commit",
    "ingest": "ingest time against tree size",
    "all-skipped": "all-skipped job against datums",
    "incremental": "incremental job (one file added) against datums",
    "history": "commit cost against history length",
    "cli": "CLI start-up",
}
Row = dict[str, object]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def dvc_env() -> dict[str, str]:
    return {**os.environ, "DVC_NO_ANALYTICS": "1"}


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None, **kw: object) -> None:
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, **kw)  # type: ignore[call-overload]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# 1. puts ---------------------------------------------------------------------------------------
def curve_puts(sizes: tuple[int, ...]) -> list[Row]:
    rows = []
    for files in sizes:
        (row,) = puts.measure((files,))
        rows.append(
            {
                "files": files,
                "ms/put": row["ms_per_put"],
                "CPU ms/put": row["cpu_ms_per_put"],
                "raw write ms/file": row["raw_ms_per_file"],
                "finish s": row["finish_s"],
                "dvc": "no equivalent",
            }
        )
        log(f"puts {files:,}: {row['ms_per_put']} ms/put")
    return rows


# 2. ingest -------------------------------------------------------------------------------------
def curve_ingest(sizes: tuple[int, ...], size: int, dvc: str | None) -> list[Row]:
    rows: list[Row] = []
    for files in sizes:
        with tempfile.TemporaryDirectory(prefix="scaling-ingest-") as tmp:
            work = Path(tmp)
            tree = work / "tree"
            ingest.generate_tree(tree, files, size)
            cp = ingest.run_cp(tree, work, sync=False)[0]  # (wall, CPU): the curve is wall time
            pl = ingest.run_api(tree, work, fsync=False)[0]
            dv: float | str = ingest.run_dvc(dvc, tree, work)[0] if dvc else NOT_INSTALLED
        row: Row = {
            "files": files,
            "MiB": round(files * size / 2**20, 1),
            "cp -r s": round(cp, 3),
            "pachlite s": round(pl, 3),
            "x cp": round(pl / cp, 2),
            "dvc add s": round(dv, 3) if isinstance(dv, float) else dv,
            "x dvc": round(pl / dv, 2) if isinstance(dv, float) else "-",
        }
        rows.append(row)
        log(
            f"ingest {files:,} x {size} B: cp {cp:.2f} s, pachlite {pl:.2f} s, "
            f"dvc add {row['dvc add s']}"
        )
    return rows


# 3, 4. all-skipped and incremental jobs --------------------------------------------------------
def dvc_jobs(dvc: str, count: int) -> tuple[float, float, float]:
    """(full, nothing changed, one file added) seconds of `dvc repro` over N files."""
    with tempfile.TemporaryDirectory(prefix="scaling-dvc-jobs-") as tmp:
        project = Path(tmp)
        data = project / "data"
        data.mkdir()
        for i in range(count):
            (data / f"f{i:07d}").write_bytes(f"datum {i}\n".encode())
        env = dvc_env()
        run([dvc, "init", "--no-scm"], project, env)
        (project / "dvc.yaml").write_text(
            "stages:\n  copy:\n    cmd: rm -rf out && mkdir out && cp -r data/. out/\n"
            "    deps: [data]\n    outs: [out]\n"
        )
        full = timed(lambda: run([dvc, "repro"], project, env))
        same = timed(lambda: run([dvc, "repro"], project, env))
        (data / "extra").write_bytes(b"one more\n")
        added = timed(lambda: run([dvc, "repro"], project, env))
    return full, same, added


def curve_jobs(
    sizes: tuple[int, ...], dvc: str | None, dvc_max: int
) -> tuple[list[Row], list[Row]]:
    skipped: list[Row] = []
    incremental: list[Row] = []
    for count in sizes:
        # real_first=0: the first job's processes are replaced by their result (see
        # bench/million.py); only the second and third jobs are plotted, and they are real.
        (row,) = million.measure((count,), real_first=0)
        if dvc and count <= dvc_max:
            full, same, added = dvc_jobs(dvc, count)
            d_same: object = round(same, 3)
            d_ms: object = round(1000 * same / count, 4)
            d_added: object = round(added, 3)
            d_full: object = round(full, 3)
        else:
            why = NOT_INSTALLED if not dvc else f"not run above {dvc_max:,}"
            d_same = d_ms = d_added = d_full = why
        skipped.append(
            {
                "datums": count,
                "pachlite s": row["all-skipped s"],
                "pachlite ms/datum": row["ms/datum skipped"],
                "skip RSS MiB": row["skip RSS MiB"],
                "dvc repro s": d_same,
                "dvc ms/datum": d_ms,
            }
        )
        incremental.append(
            {
                "datums": count,
                "pachlite s": row["one-added s"],
                "peak RSS MiB": row["peak RSS MiB"],
                "dvc repro s": d_added,
                "dvc full repro s": d_full,
            }
        )
        log(
            f"jobs {count:,}: all-skipped {row['all-skipped s']} s, one added "
            f"{row['one-added s']} s; dvc nothing changed {d_same}, one added {d_added}"
        )
    return skipped, incremental


# 5. commit cost against history length ---------------------------------------------------------
def _pachlite_commit_ms(client: object, i: int) -> float:
    start = time.perf_counter()
    client.put_file_bytes(f"hist@master:/f{i % 100:03d}", f"commit {i}\n".encode())  # type: ignore[attr-defined]
    return 1000 * (time.perf_counter() - start)


def _git_history(repo: Path, start: int, stop: int) -> None:
    """Commits start..stop-1, each changing one small tracked file, through git fast-import."""
    lines = []
    for i in range(start, stop):
        body = f"commit {i}\n".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"committer bench <b@example.com> {1_700_000_000 + i} +0000\n".encode())
        lines.append(b"data 2\nc\n")
        if i == start:  # continue the branch (it holds `dvc init` at least)
            lines.append(b"from refs/heads/main^0\n")
        lines.append(f"M 100644 inline notes/f{i % 100:03d}\n".encode())
        lines.append(f"data {len(body)}\n".encode() + body + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(lines), check=True)
    run(["git", "reset", "--hard", "-q", "main"], repo)


def _dvc_commit_ms(dvc: str, repo: Path, i: int) -> float:
    env = dvc_env()
    name = f"data{i}.txt"
    (repo / name).write_text(f"data {i}\n")

    def commit() -> None:
        run([dvc, "add", name], repo, env)
        run(["git", "add", f"{name}.dvc", ".gitignore"], repo)
        run(["git", "commit", "-q", "-m", f"add {name}"], repo)

    return 1000 * timed(commit)


def curve_history(points: tuple[int, ...], dvc: str | None, repeat: int = 3) -> list[Row]:
    from pachlite import Client

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="scaling-history-") as tmp:
        work = Path(tmp)
        repo = work / "git"
        if dvc:
            repo.mkdir()
            run(["git", "init", "-q", "-b", "main"], repo)
            run(["git", "config", "user.email", "b@example.com"], repo)
            run(["git", "config", "user.name", "bench"], repo)
            run([dvc, "init", "-q"], repo, dvc_env())
            run(["git", "commit", "-q", "-m", "dvc init"], repo)
        with Client(work / "store") as client:
            client.create_repo("hist")
            made = 0
            for n in points:
                built = max(0, n - made)
                start = time.perf_counter()
                for i in range(made, n):
                    _pachlite_commit_ms(client, i)
                build_ms = 1000 * (time.perf_counter() - start) / max(1, built)
                pl = statistics.median(_pachlite_commit_ms(client, n + k) for k in range(repeat))
                if dvc:
                    _git_history(repo, made, n)
                    d: object = round(
                        statistics.median(
                            _dvc_commit_ms(dvc, repo, n * 10 + k) for k in range(repeat)
                        ),
                        1,
                    )
                else:
                    d = NOT_INSTALLED
                made = n + repeat
                assert len(client.list_commit("hist")) == made, "one commit per put expected"
                rows.append(
                    {
                        "history": n,
                        "pachlite ms/commit": round(pl, 2),
                        "ms/commit while building": round(build_ms, 2),
                        "dvc add + git commit ms": d,
                    }
                )
                log(f"history {n:,}: pachlite {pl:.2f} ms/commit, dvc add + git commit {d} ms")
    return rows


# 6. CLI start-up -------------------------------------------------------------------------------
def _median_ms(argv: list[str], cwd: Path, runs: int) -> float:
    env = dvc_env()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def curve_cli(runs: int, dvc: str | None) -> list[Row]:
    rows: list[Row] = [
        {"command": r["command"], "median ms": r["median_ms"], "CPU ms": r["cpu_ms"]}
        for r in cli_startup.measure(runs)
    ]
    with tempfile.TemporaryDirectory(prefix="scaling-cli-dvc-") as tmp:
        project = Path(tmp)
        for name, argv in (("dvc --version", ["--version"]), ("dvc status", ["status"])):
            if dvc:
                if not (project / ".dvc").exists():
                    run([dvc, "init", "--no-scm"], project, dvc_env())
                ms: object = _median_ms([dvc, *argv], project, runs)
            else:
                ms = NOT_INSTALLED
            rows.append({"command": name, "median ms": ms, "CPU ms": "-"})
    for row in rows:
        log(f"cli {row['command']}: {row['median ms']} ms")
    return rows


# output ----------------------------------------------------------------------------------------
def markdown(results: dict[str, list[Row]], stamp: str) -> str:
    out = [f"Scaling curves, {stamp}", ""]
    for curve in CURVES:
        rows = results.get(curve, [])
        out.append(f"**{curve}: {TITLES[curve]}**")
        out.append("")
        if not rows:  # a partial --json (the run stopped before this curve)
            out.extend(["(not measured)", ""])
            continue
        header = list(rows[0])
        out.append("| " + " | ".join(header) + " |")
        out.append("| " + " | ".join("---:" for _ in header) + " |")
        for row in rows:
            cells = [f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def _numbers(rows: list[Row], x: str, y: str) -> tuple[list[float], list[float]]:
    pairs = [(float(str(r[x])), r[y]) for r in rows if isinstance(r[y], int | float)]
    return [p[0] for p in pairs], [float(str(p[1])) for p in pairs]


def plot(results: dict[str, list[Row]], stamp: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1000 else f"{v:g}")

    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    panels = dict(zip(CURVES, axes.flat, strict=True))

    def lines(
        curve: str,
        x: str,
        series: list[tuple[str, str, str]],
        ylabel: str,
        xlabel: str,
        logy: bool = True,
    ) -> None:
        ax = panels[curve]
        for column, label, style in series:
            xs, ys = _numbers(results.get(curve, []), x, column)
            if xs:
                ax.plot(xs, ys, style, label=label, linewidth=1.8, markersize=6)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        else:
            ax.set_ylim(bottom=0)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(TITLES[curve], fontsize=11)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=9)

    lines(
        "puts",
        "files",
        [
            ("ms/put", "pachlite put_file_bytes", "o-C0"),
            ("CPU ms/put", "pachlite, CPU time", "o--C9"),
            ("raw write ms/file", "open/write/close (limit)", "^:C7"),
        ],
        "ms per put",
        "files in the commit",
        logy=False,
    )
    panels["puts"].text(
        0.02,
        0.02,
        "DVC: no open commit to put into",
        fontsize=8,
        transform=panels["puts"].transAxes,
    )
    lines(
        "ingest",
        "MiB",
        [
            ("pachlite s", "pachlite put file -r", "o-C0"),
            ("cp -r s", "cp -r (limit)", "^:C7"),
            ("dvc add s", "dvc add", "s--C1"),
        ],
        "seconds",
        "tree size (MiB)",
    )
    lines(
        "all-skipped",
        "datums",
        [
            ("pachlite ms/datum", "pachlite, all skipped", "o-C0"),
            ("dvc ms/datum", "dvc repro, nothing changed", "s--C1"),
        ],
        "ms per datum",
        "datums",
    )
    lines(
        "incremental",
        "datums",
        [
            ("pachlite s", "pachlite, 1 file added", "o-C0"),
            ("dvc repro s", "dvc repro, 1 file added", "s--C1"),
            ("dvc full repro s", "dvc repro, first (full)", "s:C3"),
        ],
        "seconds",
        "datums",
    )
    lines(
        "history",
        "history",
        [
            ("pachlite ms/commit", "pachlite, one small commit", "o-C0"),
            ("dvc add + git commit ms", "dvc add + git commit", "s--C1"),
        ],
        "ms per commit",
        "commits already on the branch",
    )

    ax = panels["cli"]
    rows = [r for r in results.get("cli", []) if isinstance(r["median ms"], int | float)]
    names = [str(r["command"]) for r in rows]
    values = [float(str(r["median ms"])) for r in rows]
    colors = [
        "tab:gray"
        if "python" in n and "pachlite" not in n
        else "tab:orange"
        if n.startswith("dvc")
        else "tab:blue"
        for n in names
    ]
    ax.barh(range(len(rows)), values, color=colors)
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(80, color="red", linestyle="--", linewidth=1, label="goal 80 ms")
    ax.set_xlabel("median ms, exec to exit")
    ax.set_title(TITLES["cli"], fontsize=11)
    ax.legend(fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)

    fig.suptitle(f"pachlite scaling, DVC beside it: {stamp}", fontsize=12)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def stamp() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{today}, commit {commit or 'unknown'}, load at start {load[0]:.1f}"


def sizes_up_to(maximum: int, sizes: tuple[int, ...]) -> tuple[int, ...]:
    kept = tuple(s for s in sizes if s < maximum)
    return (*kept, maximum)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-datums", type=int, default=1_000_000)
    parser.add_argument(
        "--dvc-max-datums",
        type=int,
        default=10_000,
        help="largest job curve size DVC runs at (its repro copies every file)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a minute or two")
    parser.add_argument(
        "--out", type=Path, help="the PNG (default docs/performance-scaling.png; --quick: in /tmp)"
    )
    parser.add_argument("--table", type=Path, help="also write the markdown tables here")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--from-json", type=Path, help="redraw from a --json file, no measuring")
    parser.add_argument("--no-dvc", action="store_true", help="leave DVC out even if installed")
    args = parser.parse_args(argv)

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        label, results = saved["stamp"], saved["curves"]
    else:
        label, results = measure_all(args)
    text = markdown(results, label)
    print(text)
    if args.table:
        args.table.write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps({"stamp": label, "curves": results}, indent=1) + "\n")
    out = args.out or (
        Path(tempfile.gettempdir()) / "scaling-quick.png"
        if args.quick
        else BENCH.parent / "docs" / "performance-scaling.png"
    )
    plot(results, label, out)
    log(f"wrote {out}")


def measure_all(args: argparse.Namespace) -> tuple[str, dict[str, list[Row]]]:
    """Every curve at the sizes --quick or --max-datums chose; the stamp of the run."""
    dvc = None if args.no_dvc else ingest.find_dvc()
    if args.quick:
        put_sizes, ingest_sizes, ingest_size = (100, 1_000), (20, 200), 16 * 1024
        datums = sizes_up_to(min(args.max_datums, 1_000), (100,))
        history, cli_runs = (10, 100), 3
    else:
        put_sizes, ingest_sizes, ingest_size = (
            (100, 1_000, 10_000, 100_000),
            (100, 1_000, 10_000),
            100 * 1024,
        )
        datums = sizes_up_to(args.max_datums, (1_000, 10_000, 100_000))
        history, cli_runs = (10, 100, 1_000, 10_000), 11
    log(f"dvc: {dvc or NOT_INSTALLED}; datums {datums}")
    began, start = stamp(), time.perf_counter()
    results: dict[str, list[Row]] = {}

    def keep(curve: str, rows: list[Row]) -> None:
        """Each curve saved to --json as soon as it is measured, so a long run's part survives."""
        results[curve] = rows
        if args.json:
            args.json.write_text(json.dumps({"stamp": f"{began} (partial)", "curves": results}))

    keep("cli", curve_cli(cli_runs, dvc))
    keep("puts", curve_puts(put_sizes))
    keep("ingest", curve_ingest(ingest_sizes, ingest_size, dvc))
    keep("history", curve_history(history, dvc))
    skipped, incremental = curve_jobs(datums, dvc, args.dvc_max_datums)
    keep("all-skipped", skipped)
    keep("incremental", incremental)
    minutes = (time.perf_counter() - start) / 60
    load = os.getloadavg()
    return f"{began}; {minutes:.0f} min, load at end {load[0]:.1f}", results


if __name__ == "__main__":
    main()
