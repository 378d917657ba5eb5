"""train: a short training run, a smoke check that the data and the model fit together.

    python -m steps.train --input /pfs/transform --output /pfs/out [--epochs 2] [--seed 42]

Writes model.keras, metrics.json (last-epoch metrics, device), provenance.json and TensorBoard
logs in logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from steps import provenance
from steps.determinism import check_environment, device, make_deterministic
from steps.reproducible import save_model
from steps.training import HyperParams, fit, load_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the transform repo (/pfs/transform)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("TRAIN_EPOCHS", 2)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 42)))
    args = parser.parse_args(argv)
    if not check_environment("train"):
        return 1
    make_deterministic(args.seed)
    out = Path(args.output)
    data = load_data(Path(args.input))
    model, history = fit(
        data, HyperParams(), epochs=args.epochs, seed=args.seed, log_dir=out / "logs" / "train"
    )
    save_model(model, out / "model.keras")
    metrics = {k: v[-1] for k, v in history.items()}
    metrics.update(device=device(), train_samples=len(data["train"][2]), epochs=args.epochs)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    provenance.record(out, {"transform": Path(args.input)})
    print(f"train: {json.dumps(metrics)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
