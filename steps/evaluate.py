"""evaluate: run notebooks/evaluate.ipynb with papermill; Report.ipynb, report.html, metrics.json.

    python -m steps.evaluate --data /pfs/transform/test --model /pfs/calibrate \\
        --output /pfs/out [--calibration FILE]

Parameters (steps.parameters.EvaluateParams): BATCH_SIZE from the spec's env.

The report is the same bytes whenever the inputs are: the kernel runs in the folder that holds
the inputs and the output (/pfs in a pipeline), so the parameters it shows are paths relative
to it (`transform/test`, `calibrate`, `out`) rather than this datum's scratch folder; the
notebook's times and random ids are dropped (steps.reproducibility.sealing.seal_notebook); and
TensorFlow's C++ log lines, which carry a time, go to the step's log rather than into the report.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from steps.parameters import EvaluateParams, ParameterError
from steps.reproducibility import provenance
from steps.reproducibility.determinism import check_environment
from steps.reproducibility.sealing import seal_notebook

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOK = PROJECT / "notebooks" / "evaluate.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="transform's test split")
    parser.add_argument("--model", required=True, help="calibrate's output")
    parser.add_argument("--calibration", default="", help="a calibration.json other than --model's")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        params = EvaluateParams.from_env()
    except ParameterError as e:
        print(f"evaluate: {e}", file=sys.stderr)  # noqa: T201
        return 2
    if not check_environment("evaluate"):
        return 1
    # Building matplotlib's font cache prints a one-time message: here, not in the report.
    import matplotlib.font_manager  # noqa: F401
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    paths = [Path(os.path.abspath(p)) for p in (args.data, args.model, out)]
    if args.calibration:
        paths.append(Path(os.path.abspath(args.calibration)))
    where = Path(os.path.commonpath(paths))
    data, model, output, *calibration = (os.path.relpath(p, where) for p in paths)
    # The kernel imports steps.* from the project, wherever it runs.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT), os.environ.get("PYTHONPATH", "")) if p
    )
    nb = papermill.execute_notebook(
        str(NOTEBOOK),
        None,  # written below, once sealed
        parameters={
            "data_dir": data,
            "model_dir": model,
            "output_dir": output,
            "calibration_file": calibration[0] if calibration else "",
            "batch_size": params.batch_size,
        },
        cwd=str(where),
        kernel_name="python3",
        progress_bar=False,
        record_timing=False,
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    seal_notebook(nb, NOTEBOOK.relative_to(PROJECT).as_posix())
    report = out / "Report.ipynb"
    nbformat.write(nb, report)
    provenance.record(
        out, {"transform": Path(args.data), "calibrate": Path(args.model)}, code=[NOTEBOOK]
    )
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / "report.html").write_text(html)
    print(f"evaluate: wrote {report}, report.html and metrics.json")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
