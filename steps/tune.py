"""tune: keras-tuner Hyperband over learning rate, width/depth and augmentation.

    python -m steps.tune --input /pfs/transform --output /pfs/out

Parameters (steps.parameters.TuneParams): TUNE_MAX_EPOCHS, TUNE_FACTOR and SEED from the spec's env.

Writes optimal_hp.json (what `model` trains with), trials.json (every trial's
hyperparameters and score), provenance.json and TensorBoard logs in logs/tune/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from steps.data.shards import dataset
from steps.model.training import OBJECTIVE, HyperParams, compile_model, load_data
from steps.parameters import ParameterError, TuneParams
from steps.reproducibility import provenance
from steps.reproducibility.determinism import check_environment, make_deterministic
from steps.reproducibility.sealing import seal_event_files


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
    args = parser.parse_args(argv)
    try:
        params = TuneParams.from_env()
    except ParameterError as e:
        print(f"tune: {e}", file=sys.stderr)  # noqa: T201
        return 2
    if not check_environment("tune"):
        return 1
    make_deterministic(params.seed)
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
            max_epochs=params.max_epochs,
            factor=params.factor,
            seed=params.seed,
            directory=scratch,
            project_name="unet",
            overwrite=True,
        )
        tuner.search(
            dataset(images, masks, batch_size=16, shuffle=True, seed=params.seed),
            validation_data=dataset(
                val_images, val_masks, batch_size=16, shuffle=False, seed=params.seed
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
