"""Shared training: hyperparameters, compile, fit with TensorBoard logs, results as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from steps.data.shards import dataset, load_split
from steps.model.unet import build_unet
from steps.reproducibility.sealing import seal_event_files


@dataclass(frozen=True)
class HyperParams:
    learning_rate: float = 1e-3
    width: int = 16
    depth: int = 3
    augment: bool = False
    batch_size: int = 16

    @classmethod
    def from_json(cls, path: Path) -> HyperParams:
        data = json.loads(path.read_text())
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# What "better" means for tuning, early stopping and the best epoch. Not val_loss: a model
# that predicts background everywhere can have the lowest loss early on and an IoU of 1/3.
OBJECTIVE = "val_mean_iou"


def best_epoch(history: dict[str, list[float]]) -> int:
    """0-based index of the epoch with the highest validation mean IoU (the last without one)."""
    scores = history.get(OBJECTIVE)
    if not scores:
        return len(history["loss"]) - 1
    return max(range(len(scores)), key=scores.__getitem__)


def load_data(transform_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    return {
        split: load_split(transform_dir / split)
        for split in ("train", "validation", "calibration", "test")
    }


def compile_model(hp: HyperParams, img_size: int) -> Any:
    import keras

    model = build_unet(img_size, 3, width=hp.width, depth=hp.depth)
    model.compile(
        optimizer=keras.optimizers.Adam(hp.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=[
            "accuracy",
            keras.metrics.MeanIoU(num_classes=3, sparse_y_pred=False, name="mean_iou"),
        ],
    )
    return model


def fit(
    data: dict[str, tuple[np.ndarray, np.ndarray, list[str]]],
    hp: HyperParams,
    *,
    epochs: int,
    seed: int,
    log_dir: Path,
    patience: int | None = None,
) -> tuple[Any, dict[str, list[float]]]:
    import keras

    images, masks, _ = data["train"]
    if not len(images):
        raise ValueError("no training samples in the transform output")
    val_images, val_masks, _ = data["validation"]
    model = compile_model(hp, images.shape[1])
    callbacks: list[Any] = [keras.callbacks.TensorBoard(log_dir=str(log_dir), histogram_freq=0)]
    if patience is not None and len(val_images):
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=OBJECTIVE, mode="max", patience=patience, restore_best_weights=True
            )
        )
    history = model.fit(
        dataset(
            images, masks, batch_size=hp.batch_size, shuffle=True, seed=seed, augment=hp.augment
        ),
        validation_data=dataset(
            val_images, val_masks, batch_size=hp.batch_size, shuffle=False, seed=seed
        )
        if len(val_images)
        else None,
        epochs=epochs,
        callbacks=callbacks,
        verbose=2,
    )
    seal_event_files(log_dir)
    return model, {k: [float(v) for v in vals] for k, vals in history.history.items()}
