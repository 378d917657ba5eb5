"""model: full training with the tuned hyperparameters, early stopping on validation mean IoU.

    python -m steps.model --input /pfs/transform --hyperparameters /pfs/tune/optimal_hp.json \\
        --output /pfs/out

Parameters (steps.parameters.ModelParams): MODEL_EPOCHS, PATIENCE and SEED from the spec's env.

Writes model.keras, a SavedModel export in saved_model/, hyperparameters.json,
history.json, metrics.json (the best epoch's validation metrics) and TensorBoard logs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from steps.model.training import HyperParams, best_epoch, fit, load_data
from steps.parameters import ModelParams, ParameterError
from steps.reproducibility import provenance
from steps.reproducibility.determinism import check_environment, device, make_deterministic
from steps.reproducibility.sealing import export_saved_model, save_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m steps.model", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--input", required=True, help="the transform repo")
    parser.add_argument("--hyperparameters", required=True, help="tune's optimal_hp.json")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        params = ModelParams.from_env()
    except ParameterError as e:
        print(f"model: {e}", file=sys.stderr)  # noqa: T201
        return 2
    if not check_environment("model"):
        return 1
    make_deterministic(params.seed)
    out = Path(args.output)
    hp = HyperParams.from_json(Path(args.hyperparameters))
    data = load_data(Path(args.input))
    model, history = fit(
        data,
        hp,
        epochs=params.epochs,
        seed=params.seed,
        log_dir=out / "logs" / "model",
        patience=params.patience,
    )
    save_model(model, out / "model.keras")
    export_saved_model(model, out / "saved_model")
    best = best_epoch(history)
    metrics = {k: v[best] for k, v in history.items()}
    metrics.update(
        best_epoch=best + 1,
        epochs_run=len(history["loss"]),
        device=device(),
        train_samples=len(data["train"][2]),
    )
    provenance.record(out, {"transform": Path(args.input), "tune": Path(args.hyperparameters)})
    (out / "hyperparameters.json").write_text(json.dumps(hp.to_json(), indent=2, sort_keys=True))
    (out / "history.json").write_text(json.dumps(history, indent=2, sort_keys=True))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    print(f"model: {json.dumps(metrics)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
