"""release: the quality gate, then the serving manifest committed to the gitops repo.

    python -m steps.release --evaluation /pfs/evaluate --output /pfs/out [--model-version ID]

What it reads and writes, and its exit statuses: steps.release.step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from steps.parameters import ParameterError, ReleaseParams
from steps.release.gate import GateConfigError
from steps.release.publish import PublishError
from steps.release.step import ReleaseInputError, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m steps.release", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--evaluation", required=True, help="evaluate's output (/pfs/evaluate)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--model-version", help="the calibrate commit, if provenance lacks it")
    args = parser.parse_args(argv)
    try:
        params = ReleaseParams.from_env()
        return run(Path(args.evaluation), Path(args.output), params, args.model_version)
    except (ParameterError, ReleaseInputError, GateConfigError) as e:
        print(f"release: {e}", file=sys.stderr)  # noqa: T201
        return 1
    except PublishError as e:
        print(f"release: {e}; nothing was promoted (the datum will be retried)", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main())
