"""Reading the transform shards back: numpy arrays, or a deterministic tf.data pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def load_split(folder: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every shard of a split (`<split>/*.npz`), in batch order: images, masks, ids."""
    shards = sorted(folder.glob("*.npz"))
    if not shards:
        return np.zeros((0, 0, 0, 3), np.float32), np.zeros((0, 0, 0), np.uint8), []
    images, masks, ids = [], [], []
    for shard in shards:
        with np.load(shard) as data:
            images.append(data["images"])
            masks.append(data["masks"])
            ids.extend(str(i) for i in data["ids"])
    return np.concatenate(images), np.concatenate(masks), ids


def dataset(
    images: np.ndarray,
    masks: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    augment: bool = False,
) -> Any:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((images, masks[..., None]))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if augment:
        # One coin per sample from a seeded random stream that changes every epoch (a fixed
        # stateless seed would flip every sample the same way), so runs stay reproducible.
        coins = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

        def flip(pair: tuple[Any, Any], coin: Any) -> tuple[Any, Any]:
            image, mask = pair
            heads = tf.equal(coin % 2, 0)
            return (
                tf.where(heads, tf.reverse(image, axis=[1]), image),
                tf.where(heads, tf.reverse(mask, axis=[1]), mask),
            )

        ds = tf.data.Dataset.zip(ds, coins).map(flip)
    return ds.batch(batch_size).prefetch(2)
