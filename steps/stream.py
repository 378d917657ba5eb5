"""stream (a spout): emits Oxford-format batches into its output repo, one commit per batch.

    python -m steps.stream --source SOURCE [--batch-size 200] [--samples 400]

SOURCE is one of
  synthetic[:seed=7][,size=N]   generated pets (steps.oxford), deterministic for a seed;
  DIR                           a local folder holding images/ and annotations/ (or archives);
  URL[,URL]                     the published archives, by default Oxford VGG's
                                images.tar.gz and annotations.tar.gz.
Each batch is `/batch-NNNN/{images,annotations/trimaps,annotations/list.txt}`. Resumable: a
batch already in the repo is not emitted again, so a restarted spout continues where it was.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from steps.archive import BatchFiles, read_archive, read_batch
from steps.oxford import LIST_HEADER, batch_files, parse_list, synthetic_sample

OXFORD_URLS = (
    "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
    "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
)
DEFAULT_SOURCE = ",".join(OXFORD_URLS)


def batch_name(index: int) -> str:
    return f"batch-{index + 1:04d}"


def synthetic_batches(spec: str, samples: int, batch_size: int) -> Iterator[dict[str, bytes]]:
    options = (
        dict(item.split("=", 1) for item in spec.split(":", 1)[1].split(",") if "=" in item)
        if ":" in spec
        else {}
    )
    seed = int(options.get("seed", 7))
    size = int(options["size"]) if "size" in options else None
    for start in range(0, samples, batch_size):
        count = min(batch_size, samples - start)
        yield batch_files([synthetic_sample(seed, i, size) for i in range(start, start + count)])


def folder_batches(files: BatchFiles, samples: int, batch_size: int) -> Iterator[dict[str, bytes]]:
    """Split one Oxford tree into batches of samples (images with their trimaps)."""
    listing = parse_list(files.files.get("annotations/list.txt", b"").decode(errors="replace"))
    names = sorted(
        p[len("images/") : -4]
        for p in files.files
        if p.startswith("images/") and p.endswith(".jpg")
    )[:samples]
    for start in range(0, len(names), batch_size):
        chunk = names[start : start + batch_size]
        out: dict[str, bytes] = {}
        lines = []
        for name in chunk:
            out[f"images/{name}.jpg"] = files.files[f"images/{name}.jpg"]
            mask = files.files.get(f"annotations/trimaps/{name}.png")
            if mask is not None:
                out[f"annotations/trimaps/{name}.png"] = mask
            if name in listing:
                lines.append(f"{name} {' '.join(map(str, listing[name]))}\n")
        out["annotations/list.txt"] = (LIST_HEADER + "".join(lines)).encode()
        yield out


def url_files(urls: list[str], workdir: Path) -> BatchFiles:
    files = BatchFiles()
    for i, url in enumerate(urls):
        target = workdir / f"archive-{i}.tar.gz"
        with urllib.request.urlopen(url, timeout=120) as response, open(target, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        read_archive(target, files)
    return files


def batches(source: str, samples: int, batch_size: int) -> Iterator[dict[str, bytes]]:
    if source.startswith("synthetic"):
        yield from synthetic_batches(source, samples, batch_size)
    elif source.startswith(("http://", "https://", "file://")):
        with tempfile.TemporaryDirectory() as tmp:
            yield from folder_batches(url_files(source.split(","), Path(tmp)), samples, batch_size)
    else:
        yield from folder_batches(read_batch(Path(source)), samples, batch_size)


def main(argv: list[str] | None = None) -> int:
    from pachlite.spout import connect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="synthetic[:seed=N], DIR or URLs")
    parser.add_argument("--samples", type=int, default=400, help="how many samples in all")
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)
    out = connect()
    for index, files in enumerate(batches(args.source, args.samples, args.batch_size)):
        name = batch_name(index)
        if out.exists(f"/{name}/annotations/list.txt"):
            print(f"stream: {name} is already in the repo", flush=True)  # noqa: T201
            continue
        with out.commit(f"{name} from {args.source.split(',')[0]}"):
            for path, data in sorted(files.items()):
                out.put_bytes(f"/{name}/{path}", data)
        print(f"stream: emitted {name} ({len(files)} files)", flush=True)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
