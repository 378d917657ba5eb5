"""train: a short training run, a smoke check that the data and the model fit together.

    python -m steps.train --input /pfs/transform --output /pfs/out

Parameters (steps.parameters.TrainParams): TRAIN_EPOCHS and SEED from the spec's env.

Writes model.keras, metrics.json (last-epoch metrics, device), provenance.json and TensorBoard
logs in logs/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from steps.model.training import HyperParams, fit, load_data
from steps.parameters import ParameterError, TrainParams
from steps.reproducibility import provenance
from steps.reproducibility.determinism import check_environment, device, make_deterministic
from steps.reproducibility.sealing import save_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the transform repo (/pfs/transform)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        params = TrainParams.from_env()
    except ParameterError as e:
        print(f"train: {e}", file=sys.stderr)  # noqa: T201
        return 2
    if not check_environment("train"):
        return 1
    make_deterministic(params.seed)
    out = Path(args.output)
    data = load_data(Path(args.input))
    model, history = fit(
        data, HyperParams(), epochs=params.epochs, seed=params.seed, log_dir=out / "logs" / "train"
    )
    save_model(model, out / "model.keras")
    metrics = {k: v[-1] for k, v in history.items()}
    metrics.update(device=device(), train_samples=len(data["train"][2]), epochs=params.epochs)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    provenance.record(out, {"transform": Path(args.input)})
    print(f"train: {json.dumps(metrics)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
