"""calibrate: fit temperature scaling (or isotonic) of the per-pixel softmax.

    python -m steps.calibrate --data /pfs/transform/calibration --model /pfs/model \\
        --output /pfs/out

Parameters (steps.parameters.CalibrateParams): CALIBRATION_METHOD (temperature or isotonic)
and SEED from the spec's env.

Writes calibration.json (method, parameters, ECE and NLL before and after, pixels used),
reliability.png (the diagram, before and after), and the model files it calibrated, so
what follows reads one commit. If a fit would leave the calibration split worse calibrated
than the raw model, the identity is kept: calibration never makes it worse.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from steps.data.shards import load_split
from steps.evaluation.calibration import (
    Isotonic,
    Reliability,
    fit_temperature,
    logits_from_probs,
    nll,
    reliability,
    softmax,
)
from steps.parameters import CalibrateParams, ParameterError
from steps.reproducibility import provenance

MODEL_FILES = ("model.keras", "hyperparameters.json", "metrics.json")


def calibrate(
    probs: np.ndarray, labels: np.ndarray, method: str
) -> tuple[dict[str, object], np.ndarray]:
    """The fitted parameters (as JSON) and the calibrated probabilities."""
    if method == "temperature":
        temperature = fit_temperature(logits_from_probs(probs), labels)
        return {"temperature": temperature}, softmax(logits_from_probs(probs), temperature)
    if method == "isotonic":
        iso = Isotonic.fit(probs, labels)
        return {"isotonic": {"x": iso.x, "y": iso.y}}, iso.apply(probs)
    raise ValueError(f"unknown calibration method {method!r}: use temperature or isotonic")


def plot(before: Reliability, after: Reliability, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="#888888", label="perfect")
    for rel, name, color in ((before, "raw", "#c0392b"), (after, "calibrated", "#2e8b57")):
        xs = [c for c in rel.confidence if c == c]
        ys = [a for a, c in zip(rel.accuracy, rel.confidence, strict=True) if c == c]
        ax.plot(xs, ys, "o-", color=color, label=f"{name} (ECE {rel.ece:.4f})")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability on the calibration split")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="transform's calibration split")
    parser.add_argument("--model", required=True, help="the model repo (model.keras)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        params = CalibrateParams.from_env()
    except ParameterError as e:
        print(f"calibrate: {e}", file=sys.stderr)  # noqa: T201
        return 2
    from steps.reproducibility.determinism import check_environment, make_deterministic

    if not check_environment("calibrate"):
        return 1
    make_deterministic(params.seed)
    import keras

    images, masks, ids = load_split(Path(args.data))
    if not ids:
        print("calibrate: the calibration split is empty", file=sys.stderr)  # noqa: T201
        return 1
    model = keras.saving.load_model(Path(args.model) / "model.keras")
    probs = model.predict(images, batch_size=32, verbose=0).astype(np.float64)
    fitted, calibrated = calibrate(probs, masks, params.method)
    before, after = reliability(probs, masks), reliability(calibrated, masks)
    method = params.method
    if after.ece > before.ece:  # never worse than the raw model on this split
        fitted, calibrated, after = {"temperature": 1.0}, probs, before
        method = f"{params.method} (identity kept: the fit did not lower ECE)"
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "method": method,
        **fitted,
        "ece_before": before.ece,
        "ece_after": after.ece,
        "nll_before": nll(probs, masks),
        "nll_after": nll(calibrated, masks),
        "samples": len(ids),
        "pixels": int(masks.size),
    }  # which model and data: provenance.json
    (out / "calibration.json").write_text(json.dumps(result, indent=2, sort_keys=True))
    plot(before, after, out / "reliability.png")
    provenance.record(out, {"transform": Path(args.data), "model": Path(args.model)})
    for name in MODEL_FILES:
        source = Path(args.model) / name
        if source.exists():
            shutil.copyfile(source, out / name)
    print(f"calibrate: ECE {before.ece:.4f} -> {after.ece:.4f} ({method})")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
