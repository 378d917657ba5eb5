"""Provenance benchmark: `inspect commit --full` at the end of a 10-repo chain.

    python bench/provenance.py [--repos 10] [--commits 1000] [--samples 50]

Builds repos r0 -> r1 -> ... -> r9 linked by branch provenance, makes --commits commits in r0
(each propagates a commit set down the chain, finished as a pipeline would), then times the
full provenance walk from the last repo's head: through the Python API (median of --samples)
and through the CLI (`pachlite inspect commit --full`, process start-up included).
Target: <= 50 ms.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pachlite import Client


def build_chain(client: Client, repos: int, commits: int) -> None:
    names = [f"r{i}" for i in range(repos)]
    for name in names:
        client.create_repo(name)
        client.create_branch(f"{name}@master")
    for up, down in itertools.pairwise(names):
        client.create_branch(f"{down}@master", provenance=[f"{up}@master"])
        client.finish_commit(f"{down}@master", force=True)
    for i in range(commits):
        client.put_file_bytes(f"r0@master:/data/{i % 50}.txt", str(i).encode())
        for name in names[1:]:
            client.finish_commit(f"{name}@master", force=True)


def depth(node: object) -> int:
    inputs = getattr(node, "inputs", [])
    return 1 + max((depth(n) for n in inputs), default=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reproml-prov-") as tmp:
        root = Path(tmp) / "store"
        with Client(root) as client:
            started = time.perf_counter()
            build_chain(client, args.repos, args.commits)
            build_s = time.perf_counter() - started
            head = f"r{args.repos - 1}@master"
            total_commits = len(client.list_commit())
            api = []
            for _ in range(args.samples):
                t0 = time.perf_counter()
                tree = client.commit_provenance(head)
                client.inspect_commit(head)
                api.append(time.perf_counter() - t0)
            assert depth(tree) == args.repos, "the walk must reach the root of the chain"
        env = {**os.environ, "PACHLITE_ROOT": str(root)}
        cli = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pachlite", "inspect", "commit", head, "--full"],
                env=env,
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pachlite", "--help"], env=env, check=True, capture_output=True
        )
        startup = time.perf_counter() - t0

    api_ms, cli_ms = 1000 * statistics.median(api), 1000 * statistics.median(cli)
    print(
        f"\nprovenance of a {args.repos}-repo chain after {args.commits} commits "
        f"({total_commits} commits in the store; built in {build_s:.1f}s)\n"
    )
    print(f"{'measure':<44}{'ms':>8}{'x target':>10}  target")
    print(
        f"{'inspect commit --full, Python API (median)':<44}{api_ms:>8.2f}{api_ms / 50:>10.3f}"
        "  <= 50 ms"
    )
    print(
        f"{'pachlite inspect commit --full (CLI, median)':<44}{cli_ms:>8.1f}{cli_ms / 50:>10.2f}"
        "  (includes process start-up)"
    )
    print(f"{'  of which interpreter + CLI start-up':<44}{1000 * startup:>8.1f}")


if __name__ == "__main__":
    main()
