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

        def flip(image: Any, mask: Any) -> tuple[Any, Any]:
            both = tf.concat([image, tf.cast(mask, image.dtype)], axis=-1)
            both = tf.image.stateless_random_flip_left_right(both, seed=(seed, 0))
            return both[..., :3], tf.cast(both[..., 3:], mask.dtype)

        ds = ds.map(flip)
    return ds.batch(batch_size).prefetch(2)
