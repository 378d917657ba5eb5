"""The transform shards training reads (the helpers that run the steps as pipelines do, whose
outputs test_reproducibility compares byte for byte, are in tests/support/steps/runs.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.steps.runs import tiny_transform


def test_transform_shards_hold_what_training_reads(tmp_path: Path) -> None:
    from steps.data.shards import load_split

    data = tiny_transform(tmp_path, samples=20)
    images, masks, ids = load_split(data / "train")
    assert images.dtype == np.float32 and images.shape[1:] == (32, 32, 3)
    assert masks.shape == images.shape[:3] and len(ids) == len(images) > 0
    assert set(np.unique(masks)) <= {0, 1, 2}
