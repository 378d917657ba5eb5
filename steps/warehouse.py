"""warehouse: one Oxford-format batch in, one folder per usable sample out.

    python -m steps.warehouse --input /pfs/batches/<batch> --output /pfs/out

Output: `<batch>/<sample>/image.jpg`, `mask.png`, `metadata.json`, and `<batch>/rejects.json`
listing every file or sample that could not be used, with its reason; `<batch>/summary.json`
counts them. A batch never fails because of one sample.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path, PurePosixPath

from steps.archive import read_batch
from steps.oxford import breed_info, parse_list
from steps.samples import check_sample

_SAMPLE = re.compile(r"^(?P<breed>.+)_(?P<n>\d+)$")


def process_batch(batch_dir: Path, out_dir: Path) -> dict[str, int]:
    batch = read_batch(batch_dir)
    rejects = [{"file": f, "reason": r} for f, r in batch.refused]
    listing = parse_list(batch.files.get("annotations/list.txt", b"").decode(errors="replace"))
    images = {
        PurePosixPath(p).stem: d
        for p, d in batch.files.items()
        if p.startswith("images/") and p.lower().endswith(".jpg")
    }
    masks = {
        PurePosixPath(p).stem: d
        for p, d in batch.files.items()
        if p.startswith("annotations/trimaps/") and p.lower().endswith(".png")
    }
    kept = repaired = 0
    for name in sorted(images.keys() | masks.keys()):
        checked = check_sample(name, images.get(name), masks.get(name))
        if not checked.ok:
            rejects.append({"sample": name, "reason": checked.reason})
            continue
        sample_dir = out_dir / name
        sample_dir.mkdir(parents=True, exist_ok=True)
        assert checked.image is not None and checked.mask is not None
        (sample_dir / "image.jpg").write_bytes(checked.image)
        (sample_dir / "mask.png").write_bytes(checked.mask)
        (sample_dir / "metadata.json").write_text(
            json.dumps(
                _metadata(name, listing, checked.width, checked.height, checked.repairs),
                indent=2,
                sort_keys=True,
            )
        )
        kept += 1
        repaired += bool(checked.repairs)
    summary = {"samples": kept, "repaired": repaired, "rejected": len(rejects)}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "rejects.json").write_text(json.dumps(rejects, indent=2))
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _metadata(
    name: str, listing: dict[str, tuple[int, int, int]], width: int, height: int, repairs: list[str]
) -> dict[str, object]:
    if name in listing:
        class_id, species, breed_id = listing[name]
    else:  # not in list.txt: the breed is in the name, as Oxford names its files
        match = _SAMPLE.match(name)
        try:
            class_id, species, breed_id = breed_info(match.group("breed")) if match else (0, 0, 0)
        except ValueError:
            class_id, species, breed_id = 0, 0, 0
    return {
        "id": name,
        "class_id": class_id,
        "species": {1: "cat", 2: "dog"}.get(species, "unknown"),
        "breed_id": breed_id,
        "width": width,
        "height": height,
        "repairs": repairs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="one batch folder (a datum)")
    parser.add_argument("--output", required=True, help="output root, e.g. /pfs/out")
    args = parser.parse_args(argv)
    batch_dir = Path(args.input)
    if not batch_dir.is_dir():
        print(f"warehouse: {batch_dir} is not a batch folder", file=sys.stderr)  # noqa: T201
        return 2
    summary = process_batch(batch_dir, Path(args.output) / batch_dir.name)
    print(f"warehouse: {batch_dir.name}: {summary}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
