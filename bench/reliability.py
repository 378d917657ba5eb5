"""The reliability figures: crash trials, concurrent writers, and the bad-input catalogue.

    python bench/reliability.py [--trials 100] [--processes 8] [--commits 100]

Runs every crash scenario `--trials` times (SIGKILL at random moments or at a named
failpoint, restart, check), the concurrency suite (8 processes x 100 commits into one repo and
into one repo each, while a job runs), counts the catalogued bad inputs, prints a table,
and writes docs/reliability.json and docs/reliability.png. docs/reliability.md quotes them.
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

from rich.progress import Progress  # noqa: E402

from tests.support.reliability_harness import (  # noqa: E402
    concurrency,
    put_trial,
    scenarios,
    verify_kept,
)


def crash_figures(trials: int, progress: Progress) -> list[dict[str, object]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="reproml-reliability-") as scratch:
        # Chains of 10 kills on one store (each start finds what the last kill left), a new
        # store per chain so fsck, which re-hashes every object, stays a few seconds.
        task = progress.add_task("put (random writer)", total=trials)
        failures, promised, started = [], 0, time.monotonic()
        chain: list[tuple[str, str, str]] = []
        for seed in range(trials):
            store = Path(scratch) / "put" / f"chain{seed // 10}" / "store"
            trial = put_trial(store, seed, chain)
            if not trial.ok:
                failures.append(f"seed {seed}: {trial.detail}")
            if seed % 10 == 9 or seed == trials - 1:  # the chain's end: every promise again
                problem = verify_kept(store, chain)
                if problem:
                    failures.append(f"chain ending at seed {seed}: {problem}")
                promised += len(chain)
                chain = []
            progress.advance(task)
        progress.console.print(f"put: {trials - len(failures)}/{trials} recovered")
        rows.append(
            {
                "scenario": "put (random writer, chains of 10 kills per store)",
                "trials": trials,
                "recovered": trials - len(failures),
                "checked": promised,
                "seconds": round(time.monotonic() - started, 1),
                "failures": failures,
            }
        )
        for name, run in scenarios().items():
            task = progress.add_task(name, total=trials)
            failures, checked, started = [], 0, time.monotonic()
            for seed in range(trials):
                folder = Path(scratch) / name.split()[0] / f"{len(rows)}-{seed}"
                folder.mkdir(parents=True)
                trial = run(folder, seed)
                checked += trial.checked
                if not trial.ok:
                    failures.append(f"seed {seed}: {trial.detail}")
                progress.advance(task)
            progress.console.print(f"{name}: {trials - len(failures)}/{trials} recovered")
            rows.append(
                {
                    "scenario": name,
                    "trials": trials,
                    "recovered": trials - len(failures),
                    "checked": checked,
                    "seconds": round(time.monotonic() - started, 1),
                    "failures": failures,
                }
            )
    return rows


def concurrency_figures(processes: int, commits: int) -> list[dict[str, object]]:
    rows = []
    for same_repo in (True, False):
        with tempfile.TemporaryDirectory(prefix="reproml-concurrency-") as scratch:
            result = concurrency(Path(scratch), processes, commits, same_repo)
        rows.append(
            {
                "writers": f"{processes} x {commits} commits, "
                + ("one repo" if same_repo else "one repo each"),
                "commits_written": result.written,
                "commits_found": result.found,
                "lock_errors_seen": result.lock_errors,
                "seconds": round(result.seconds, 1),
                "ok": result.ok,
                "failures": result.failures,
            }
        )
    return rows


def catalogue_figures() -> dict[str, int]:
    from tests.support.bad_inputs import CATALOGUE
    from tests.support.damages import DAMAGES
    from tests.support.steps.catalogues import (
        BAD_REQUESTS,
        BAD_TENSORS,
        FOLDER_CASES,
        IGNORED_REASONS,
        REASONS,
        ZIP_CASES,
    )
    from tests.support.store_verbs import WRITES

    return {
        "pachlite commands (specs, repos, branches, commits, paths, local trees, backups)": len(
            CATALOGUE
        ),
        "damaged stores (meta.sqlite garbage, truncated, a bad page, emptied, deleted; objects)": (
            len(DAMAGES)
        ),
        "writes on a read-only store": len(WRITES),
        "archive members and images (warehouse, and the same through the stream)": len(REASONS),
        "zip archive members (warehouse)": len(ZIP_CASES),
        "folder batch members (warehouse)": len(FOLDER_CASES),
        "members that are not part of a sample (listed as ignored)": len(IGNORED_REASONS),
        "inference requests (4xx from the runtime and MLServer)": len(BAD_TENSORS)
        + len(BAD_REQUESTS),
        # tests/steps/test_release.py: unreachable remote, rejected push, a threshold on a
        # metric that does not exist, no metrics.json; tests/cli/test_cluster.py: an
        # unreachable pachd, an address that is not grpc://.
        "git remotes and release configuration": 4,
        "Pachyderm addresses": 2,
    }


def plot(crash: list[dict[str, object]], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [str(r["scenario"]).split(" (")[0] + "\n(" + str(r["scenario"]).split(" (")[1]
             if " (" in str(r["scenario"]) else str(r["scenario"]) for r in crash]  # fmt: skip
    recovered = [int(r["recovered"]) for r in crash]  # type: ignore[call-overload]
    failed = [int(r["trials"]) - int(r["recovered"]) for r in crash]  # type: ignore[call-overload]
    most = max(r + f for r, f in zip(recovered, failed, strict=True))
    fig, ax = plt.subplots(figsize=(9, 4.6))
    ax.barh(names, recovered, color="#2e8b57", label="recovered")
    ax.barh(names, failed, left=recovered, color="#c0392b", label="not recovered")
    for i, (ok, bad) in enumerate(zip(recovered, failed, strict=True)):
        ax.text(ok + bad + most * 0.01, i, f"{ok}/{ok + bad}", va="center")
    ax.set_xlabel("SIGKILL trials")
    ax.set_title("Crash recovery: fsck clean, no finished commit lost, same outputs")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_xlim(0, most * 1.17)
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--out", default=str(REPO_ROOT / "docs"))
    args = parser.parse_args()
    started = time.monotonic()
    with Progress() as progress:
        crash = crash_figures(args.trials, progress)
    writers = concurrency_figures(args.processes, args.commits)
    cases = catalogue_figures()

    def row(*cells: object) -> None:
        print("| " + " | ".join(str(c) for c in cells) + " |")

    print()
    row("crash scenario", "trials", "recovered", "checked", "seconds")
    row(*["---"] * 5)
    for r in crash:
        row(r["scenario"], r["trials"], r["recovered"], r["checked"], r["seconds"])
    print()
    row("writers", "commits written", "found", "'database is locked' seen", "seconds")
    row(*["---"] * 5)
    for w in writers:
        row(
            w["writers"],
            w["commits_written"],
            w["commits_found"],
            w["lock_errors_seen"],
            w["seconds"],
        )
    print(f"\nbad inputs catalogued: {sum(cases.values())}")
    for kind, count in cases.items():
        print(f"  {count:3}  {kind}")
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    figures = {
        "crash": crash,
        "concurrency": writers,
        "bad_inputs": cases,
        "seconds": round(time.monotonic() - started),
    }
    (out / "reliability.json").write_text(json.dumps(figures, indent=2) + "\n")
    plot(crash, out / "reliability.png")
    print(f"\nwrote {out / 'reliability.json'} and {out / 'reliability.png'}")
    failed = any(r["failures"] for r in crash) or not all(w["ok"] for w in writers)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
