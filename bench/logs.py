"""Memory and metadata cost of user code that prints a lot.

    python bench/logs.py [--mb 100]

A datum printing --mb MB to stdout, next to one printing a line: the peak resident set of the
`pachlite create pipeline` process that runs each job, the growth of meta.sqlite, and the
peak of `pachlite logs` over 30 datums of capped logs against one line of log. Targets: the
job process within 64 MB of the quiet one, `pachlite logs` in constant memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.noisy_logs import NOISY, meta_bytes, peak_rss_mb, spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reproml-logs-bench-") as tmp:
        work = Path(tmp)
        root = work / "store"
        (work / "noisy.py").write_text(NOISY)
        (work / "files").mkdir()
        for i in range(30):
            (work / "files" / f"f{i:02d}").write_text(str(i))
        noisy = f"[{sys.executable}, {work}/noisy.py, '{args.mb}']"
        (work / "quiet.yaml").write_text(spec("quiet", "[sh, -c, 'echo quiet']"))
        (work / "noisy.yaml").write_text(spec("noisy", noisy))
        (work / "many.yaml").write_text(
            spec("many", f"[{sys.executable}, {work}/noisy.py, '3']", "/*")
        )
        peak_rss_mb(root, "create", "repo", "data", cwd=work)
        peak_rss_mb(root, "put", "file", "-r", "data@master:/", "-f", "files", cwd=work)
        _, quiet = peak_rss_mb(root, "create", "pipeline", "-f", "quiet.yaml", cwd=work)
        before = meta_bytes(root)
        _, loud = peak_rss_mb(root, "create", "pipeline", "-f", "noisy.yaml", cwd=work)
        grown = (meta_bytes(root) - before) / 1e6
        peak_rss_mb(root, "create", "pipeline", "-f", "many.yaml", cwd=work)
        _, logs_one = peak_rss_mb(root, "logs", "-p", "quiet", cwd=work)
        _, logs_many = peak_rss_mb(root, "logs", "-p", "many", cwd=work)
        printed = (work / "out.txt").stat().st_size / 1e6
    rows = [
        ("job process, datum prints one line", f"{quiet:.0f} MB", ""),
        (
            f"job process, datum prints {args.mb} MB",
            f"{loud:.0f} MB",
            f"+{loud - quiet:.0f} MB (target < 64)",
        ),
        (
            f"meta.sqlite growth for the {args.mb} MB datum",
            f"{grown:.1f} MB",
            "log capped at 1 MiB",
        ),
        ("pachlite logs, one line", f"{logs_one:.0f} MB", ""),
        (
            f"pachlite logs, 30 capped datums ({printed:.0f} MB printed)",
            f"{logs_many:.0f} MB",
            f"+{logs_many - logs_one:.0f} MB",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in [("measure", "peak RSS / size", "vs baseline"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
