"""transform: one warehouse batch in, one shard per split out (no TensorFlow import).

    python -m steps.transform --input /pfs/warehouse/<batch> --output /pfs/out

Each sample goes to train, validation, calibration or test by a hash of its ID, so the split
never changes when batches are added, and only the new batch is processed. Images are resized
(bilinear) and scaled to [0, 1] float32; trimaps are resized (nearest) and become classes
0 = pet, 1 = background, 2 = border. Shards are `<split>/<batch>.npz` (`images`, `masks`,
`ids`), which numpy loads and tf.data slices fast. Parameters (steps.parameters.TransformParams):
IMG_SIZE and SPLIT_FRACTIONS from the spec's env.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from steps.parameters import TransformParams

SPLITS = ("train", "validation", "calibration", "test")


def parse_fractions(text: str) -> dict[str, float]:
    values = [float(v) for v in text.split(",")]
    if len(values) != len(SPLITS) or any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise ValueError(
            f"fractions {text!r}: give 4 non-negative numbers summing to 1 "
            "(train,validation,calibration,test)"
        )
    return dict(zip(SPLITS, values, strict=True))


def split_of(sample_id: str, fractions: dict[str, float]) -> str:
    """Deterministic: the sample's hash, as a number in [0, 1), picks the split."""
    point = int.from_bytes(hashlib.sha256(sample_id.encode()).digest()[:8], "big") / 2**64
    edge = 0.0
    for split in SPLITS:
        edge += fractions[split]
        if point < edge:
            return split
    return SPLITS[-1]


def prepare(image: Image.Image, mask: Image.Image, size: int) -> tuple[np.ndarray, np.ndarray]:
    pixels = np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR), np.float32)
    classes = np.asarray(mask.resize((size, size), Image.NEAREST), np.uint8) - 1
    return pixels / 255.0, classes


def process_batch(
    batch_dir: Path, out_dir: Path, size: int, fractions: dict[str, float]
) -> dict[str, int]:
    shards: dict[str, tuple[list[np.ndarray], list[np.ndarray], list[str]]] = {
        s: ([], [], []) for s in SPLITS
    }
    for sample in sorted(p for p in batch_dir.iterdir() if (p / "image.jpg").exists()):
        with Image.open(sample / "image.jpg") as image, Image.open(sample / "mask.png") as mask:
            pixels, classes = prepare(image, mask, size)
        images, masks, ids = shards[split_of(sample.name, fractions)]
        images.append(pixels)
        masks.append(classes)
        ids.append(sample.name)
    counts = {}
    for split, (images, masks, ids) in shards.items():
        counts[split] = len(ids)
        if not ids:
            continue  # no empty shards: Pachyderm has no empty files to keep either
        target = out_dir / split / f"{batch_dir.name}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez(target, images=np.stack(images), masks=np.stack(masks), ids=np.array(ids))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="one warehouse batch folder")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        params = TransformParams.from_env()
        fractions = parse_fractions(params.split_fractions)
    except ValueError as exc:  # steps.parameters.ParameterError is one too
        print(f"transform: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    batch = Path(args.input)
    counts = process_batch(batch, Path(args.output), params.img_size, fractions)
    print(f"transform: {batch.name}: {json.dumps(counts)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
