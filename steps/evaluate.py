"""evaluate: run notebooks/evaluate.ipynb with papermill; Report.ipynb, report.html, metrics.json.

    python -m steps.evaluate --data /pfs/transform/test --model /pfs/calibrate \\
        --output /pfs/out [--batch-size 32] [--calibration FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from steps import provenance

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "evaluate.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="transform's test split")
    parser.add_argument("--model", required=True, help="calibrate's output")
    parser.add_argument("--calibration", default="", help="a calibration.json other than --model's")
    parser.add_argument("--output", required=True)
    parser.add_argument("--batch-size", type=int, default=int(os.environ.get("BATCH_SIZE", 32)))
    args = parser.parse_args(argv)
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    report = out / "Report.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(report),
        parameters={
            "data_dir": str(Path(args.data).resolve()),
            "model_dir": str(Path(args.model).resolve()),
            "output_dir": str(out.resolve()),
            "calibration_file": str(Path(args.calibration).resolve()) if args.calibration else "",
            "batch_size": args.batch_size,
        },
        cwd=str(NOTEBOOK.parent.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    provenance.record(out, {"transform": Path(args.data), "calibrate": Path(args.model)})
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(report, as_version=4))
    (out / "report.html").write_text(html)
    print(f"evaluate: wrote {report}, report.html and metrics.json")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
