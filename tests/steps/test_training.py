"""The U-Net and training: shapes, and bit-identical weights from two runs on one input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from steps.oxford import batch_files, synthetic_sample
from steps.transform import parse_fractions
from steps.transform import process_batch as transform_batch
from steps.warehouse import process_batch as warehouse_batch
from tests.conftest import REPO_ROOT


def tiny_transform(folder: Path, samples: int = 40, size: int = 32) -> Path:
    batch = folder / "raw" / "batch-0001"
    for path, data in batch_files([synthetic_sample(3, i, 48) for i in range(samples)]).items():
        (batch / path).parent.mkdir(parents=True, exist_ok=True)
        (batch / path).write_bytes(data)
    warehouse_batch(batch, folder / "warehouse" / batch.name)
    transform_batch(
        folder / "warehouse" / batch.name,
        folder / "transform",
        size,
        parse_fractions("0.6,0.2,0.1,0.1"),
    )
    return folder / "transform"


def run_step(step: str, *args: str | Path, **env: str) -> None:
    """Run `python -m steps.<step>` as a pipeline would: a new process from the repo root."""
    subprocess.run(
        [sys.executable, "-m", f"steps.{step}", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        check=True,
        capture_output=True,
        cwd=REPO_ROOT,
    )


@pytest.mark.slow
def test_training_twice_on_the_same_data_gives_identical_weights(tmp_path: Path) -> None:
    data = tiny_transform(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TRAIN_EPOCHS": "1"}
    for run in ("a", "b"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "steps.train",
                "--input",
                str(data),
                "--output",
                str(tmp_path / run),
            ],
            env=env,
            check=True,
            capture_output=True,
            cwd=REPO_ROOT,
        )
    code = (
        "import keras, numpy as np, sys\n"
        "a = keras.saving.load_model(sys.argv[1]).get_weights()\n"
        "b = keras.saving.load_model(sys.argv[2]).get_weights()\n"
        "print(len(a), all(np.array_equal(x, y) for x, y in zip(a, b)))\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(tmp_path / "a" / "model.keras"),
            str(tmp_path / "b" / "model.keras"),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"},
    ).stdout
    count, same = out.split()
    assert int(count) > 50 and same == "True"
    assert (tmp_path / "a" / "logs" / "train").is_dir()


def test_transform_shards_hold_what_training_reads(tmp_path: Path) -> None:
    from steps.data import load_split

    data = tiny_transform(tmp_path, samples=20)
    images, masks, ids = load_split(data / "train")
    assert images.dtype == np.float32 and images.shape[1:] == (32, 32, 3)
    assert masks.shape == images.shape[:3] and len(ids) == len(images) > 0
    assert set(np.unique(masks)) <= {0, 1, 2}
