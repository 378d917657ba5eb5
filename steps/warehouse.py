"""warehouse: one Oxford-format batch in, one folder per usable sample out.

    python -m steps.warehouse --input /pfs/batches/<batch> --output /pfs/out

A batch is a folder (`images/`, `annotations/trimaps/`, `annotations/list.txt`, or tar and zip
archives holding them) or a single archive. Output: `<batch>/<sample>/image.jpg`, `mask.png`,
`metadata.json`; `<batch>/rejects.json`, every member of the batch that was not used with its
reason, the stream spout's refusals included; and `<batch>/summary.json`, the counts `kept`,
`repaired`, `rejected` and `ignored`. The schema of both, the same on every route, is in
`steps.data.rejects`. A batch never fails because of one sample or one member.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from steps.data.archive import read_batch
from steps.data.oxford import breed_info, parse_list
from steps.data.rejects import (
    REJECTED,
    REJECTS_FILE,
    SUMMARY_FILE,
    WAREHOUSE,
    Unused,
    dump_entries,
    is_archive,
    summarise,
)
from steps.data.samples import check_sample

_SAMPLE = re.compile(r"^(?P<breed>.+)_(?P<n>\d+)$")


def process_batch(batch_dir: Path, out_dir: Path) -> dict[str, int]:
    batch = read_batch(batch_dir)
    listing = parse_list(batch.list_text())
    unused = list(batch.unused)
    kept = repaired = 0
    for name in batch.names():
        image, mask = batch.images.get(name), batch.masks.get(name)
        checked = check_sample(name, image.data if image else None, mask.data if mask else None)
        if not checked.ok:
            members = tuple(m.found for m in (image, mask) if m is not None)
            unused.append(Unused(WAREHOUSE, REJECTED, str(checked.reason), members, name))
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
    summary = summarise(kept, repaired, unused)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / REJECTS_FILE).write_text(dump_entries(unused))
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
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
    parser.add_argument("--input", required=True, help="one batch folder or archive (a datum)")
    parser.add_argument("--output", required=True, help="output root, e.g. /pfs/out")
    args = parser.parse_args(argv)
    batch_dir = Path(args.input)
    if not (batch_dir.is_dir() or (batch_dir.is_file() and is_archive(batch_dir.name))):
        print(  # noqa: T201
            f"warehouse: {batch_dir} is not a batch folder or archive", file=sys.stderr
        )
        return 2
    summary = process_batch(batch_dir, Path(args.output) / batch_dir.name)
    print(f"warehouse: {batch_dir.name}: {summary}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
