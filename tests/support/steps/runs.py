"""The steps run as pipelines run them: a tiny transform output built in-process, each step as
a new `python -m steps.<step>` process, and a tiny trained-and-calibrated model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from steps.data.oxford import batch_files, synthetic_sample
from steps.reproducibility.determinism import HASH_SEED
from steps.transform import parse_fractions
from steps.transform import process_batch as transform_batch
from steps.warehouse import process_batch as warehouse_batch
from tests.support.repo import REPO_ROOT


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
    """Run `python -m steps.<step>` as a pipeline would: a new process from the repo root,
    with the hash seed the pipeline specs set."""
    subprocess.run(
        [sys.executable, "-m", f"steps.{step}", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": HASH_SEED, **env},
        check=True,
        capture_output=True,
        cwd=REPO_ROOT,
    )


def trained_and_calibrated(tmp_path: Path) -> Path:
    """A tiny transform output, a one-epoch model, and its calibration: the transform dir."""
    data = tiny_transform(tmp_path, samples=40)
    run_step("train", "--input", data, "--output", tmp_path / "model", TRAIN_EPOCHS="1")
    run_step(
        "calibrate",
        "--data",
        data / "calibration",
        "--model",
        tmp_path / "model",
        "--output",
        tmp_path / "cal",
    )
    return data
