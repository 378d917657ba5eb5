"""tune: keras-tuner Hyperband over learning rate, width/depth and augmentation.

    python -m steps.tune --input /pfs/transform --output /pfs/out [--max-epochs 3]

Writes optimal_hp.json (what `model` trains with), trials.json (every trial's
hyperparameters and score), provenance.json and TensorBoard logs in logs/tune/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from steps import provenance
from steps.data import dataset
from steps.determinism import check_environment, make_deterministic
from steps.reproducible import seal_event_files
from steps.training import OBJECTIVE, HyperParams, compile_model, load_data


def hyperparams_from(hp: Any) -> HyperParams:
    return HyperParams(
        learning_rate=hp.Choice("learning_rate", [3e-3, 1e-3, 3e-4]),
        width=hp.Choice("width", [8, 16]),
        depth=hp.Choice("depth", [2, 3]),
        augment=hp.Boolean("augment"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the transform repo (/pfs/transform)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--max-epochs", type=int, default=int(os.environ.get("TUNE_MAX_EPOCHS", 3)))
    parser.add_argument("--factor", type=int, default=int(os.environ.get("TUNE_FACTOR", 3)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 42)))
    args = parser.parse_args(argv)
    if not check_environment("tune"):
        return 1
    make_deterministic(args.seed)
    import keras
    import keras_tuner

    out = Path(args.output)
    data = load_data(Path(args.input))
    images, masks, _ = data["train"]
    val_images, val_masks, _ = data["validation"]
    size = images.shape[1]

    def build(hp: Any) -> Any:
        return compile_model(hyperparams_from(hp), size)

    with tempfile.TemporaryDirectory() as scratch:  # tuner checkpoints are not outputs
        tuner = keras_tuner.Hyperband(
            build,
            objective=keras_tuner.Objective(OBJECTIVE, direction="max"),
            max_epochs=args.max_epochs,
            factor=args.factor,
            seed=args.seed,
            directory=scratch,
            project_name="unet",
            overwrite=True,
        )
        tuner.search(
            dataset(images, masks, batch_size=16, shuffle=True, seed=args.seed),
            validation_data=dataset(
                val_images, val_masks, batch_size=16, shuffle=False, seed=args.seed
            ),
            callbacks=[keras.callbacks.TensorBoard(log_dir=str(out / "logs" / "tune"))],
            verbose=0,
        )
        best = hyperparams_from(tuner.get_best_hyperparameters(1)[0])
        trials = [
            {
                "trial": t.trial_id,
                "score": t.score,
                "hyperparameters": t.hyperparameters.values,
                "status": str(t.status),
            }
            for t in tuner.oracle.trials.values()
        ]
    seal_event_files(out / "logs" / "tune")
    (out / "optimal_hp.json").write_text(json.dumps(best.to_json(), indent=2, sort_keys=True))
    (out / "trials.json").write_text(json.dumps(trials, indent=2, sort_keys=True, default=str))
    provenance.record(out, {"transform": Path(args.input)})
    print(f"tune: best {json.dumps(best.to_json())} of {len(trials)} trials")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
