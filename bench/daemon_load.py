"""The gRPC server under load and faults, through pachyderm-sdk: the figures of section 9 of
docs/reliability.md.

    python bench/daemon_load.py [--writers 16] [--commits 500] [--kills 10] [--json FILE]

- Load: `--writers` SDK clients (a thread each) make `--commits` commits each on their own
  branch of one repo, at once, with small files and a large one every 10 commits; then every
  commit is read back (each file's bytes hashed) through the SDK.
- Kills: `--kills` trials for each of `pachlite up` and `python -m pachlite.server`: 8
  writers, the server SIGKILLed after 1-3 s, started again; every finished commit intact,
  open ones open, clients told UNAVAILABLE only, `pachlite fsck` clean.
- The bad-message catalogue of tests/reliability/test_daemon_messages.py, counted.

The harness is tests/support/sdk_load.py; CI runs it at 16 x 20 and 2 kills per server.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.grpc_raw import malformed, served_methods  # noqa: E402
from tests.support.grpc_server import start_server  # noqa: E402
from tests.support.sdk_load import (  # noqa: E402
    STARTS,
    Sizes,
    check,
    count_commits,
    kill_trial,
    prepare,
    run_writers,
)


def load_figures(writers: int, commits: int) -> dict[str, object]:
    sizes = Sizes(writers=writers, commits=commits)
    with tempfile.TemporaryDirectory(prefix="bench-daemon-load-") as tmp:
        server = start_server(Path(tmp) / "store")
        try:
            prepare(server)
            started = time.perf_counter()
            logs = run_writers(server, sizes)
            wrote = time.perf_counter() - started
            started = time.perf_counter()
            problems = check(server, logs, after_kill=False)
            checked = time.perf_counter() - started
        finally:
            server.stop()
    finished = count_commits(logs)
    files = sum(len(m.tree) for log in logs for m in log.made)
    return {
        "writers": f"{writers} SDK clients x {commits} commits",
        "commits_written": writers * commits,
        "commits_found_intact": finished if not problems else finished - len(problems),
        "files_checked": files,
        "errors": sum(len(log.errors) for log in logs),
        "write_seconds": round(wrote, 1),
        "commits_per_s": round(finished / wrote, 1),
        "check_seconds": round(checked, 1),
        "problems": problems[:20],
    }


def kill_figures(kills: int) -> list[dict[str, object]]:
    rows = []
    sizes = Sizes(writers=8, commits=1_000_000, large_every=4)
    for name, start in STARTS.items():
        trials, started = [], time.monotonic()
        with tempfile.TemporaryDirectory(prefix="bench-daemon-kill-") as tmp:
            for seed in range(kills):
                folder = Path(tmp) / f"trial{seed}"
                folder.mkdir()
                trials.append(kill_trial(start, folder, seed, sizes))
                print(f"{name} kill {seed}: {'ok' if trials[-1].ok else trials[-1].problems}",
                      file=sys.stderr, flush=True)  # fmt: skip
        rows.append(
            {
                "server": name,
                "trials": kills,
                "recovered": sum(t.ok for t in trials),
                "finished_checked": sum(t.finished for t in trials),
                "left_open_checked": sum(t.left_open for t in trials),
                "client_errors_all_unavailable": sum(t.errors for t in trials),
                "seconds": round(time.monotonic() - started, 1),
                "problems": [p for t in trials for p in t.problems][:20],
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "docs" / "daemon_load.json")
    args = parser.parse_args()
    started = time.monotonic()
    load = load_figures(args.writers, args.commits)
    kills = kill_figures(args.kills)
    methods = served_methods()
    cases = {"methods": len(methods), "cases": sum(len(malformed(m)) for m in methods)}

    def row(*cells: object) -> None:
        print("| " + " | ".join(str(c) for c in cells) + " |")

    row("writers", "commits written", "found intact", "files checked", "errors", "commits/s")
    row("---", *["---:"] * 5)
    row(load["writers"], load["commits_written"], load["commits_found_intact"],
        load["files_checked"], load["errors"], load["commits_per_s"])  # fmt: skip
    print()
    row("server killed", "trials", "recovered", "finished checked", "open checked",
        "errors (all UNAVAILABLE)")  # fmt: skip
    row("---", *["---:"] * 5)
    for k in kills:
        row(k["server"], k["trials"], k["recovered"], k["finished_checked"],
            k["left_open_checked"], k["client_errors_all_unavailable"])  # fmt: skip
    print(f"\nbad messages: {cases['cases']} cases over {cases['methods']} methods")
    figures = {"load": load, "kills": kills, "bad_messages": cases,
               "seconds": round(time.monotonic() - started)}  # fmt: skip
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {args.json}")
    failed = load["problems"] or any(k["problems"] for k in kills)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
