"""stream (a spout): emits Oxford-format batches into its output repo, one commit per batch.

    python -m steps.stream [--source SOURCE] [--samples N] [--batch-size N]

Parameters (steps.parameters.StreamParams): the spec passes STREAM_SOURCE, STREAM_SAMPLES and
STREAM_BATCH as these flags; a flag left out is read from its variable.

SOURCE is one of
  synthetic[:seed=7][,size=N]   generated pets (steps.data.oxford), deterministic for a seed;
  DIR                           a local folder holding images/ and annotations/ (or archives);
  URL[,URL]                     the published archives, by default Oxford VGG's
                                images.tar.gz and annotations.tar.gz (the spec's default).
Each batch is `/batch-NNNN/{images,annotations/trimaps,annotations/list.txt}`, every sample
the source has an image or a trimap for (warehouse checks them). The members of the source
that are not passed on (unsafe archive members, AppleDouble files, anything that is not a
sample's) are listed with their reasons in `/batch-NNNN/refused.json`, in the schema of
`steps.data.rejects`, in the batch of the sample they are named after (`._Bengal_1.jpg`,
`Bengal_1.xml`) or else in the first batch; warehouse takes them into the batch's
`rejects.json`. They travel in the batch's own commit, so the reasons have the batch's
provenance and warehouse reads nothing that is not its input. Resumable: a batch already in
the repo is not emitted again, so a restarted spout continues where it was.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from steps.data.archive import BatchFiles, read_archive, read_batch
from steps.data.oxford import LIST_HEADER, LIST_PATH, batch_files, parse_list, synthetic_sample
from steps.data.rejects import REFUSED_FILE, STREAM, Unused, dump_entries, sample_hint
from steps.parameters import ParameterError, StreamParams


@dataclass
class StreamBatch:
    files: dict[str, bytes]  # path in the batch -> bytes
    refused: list[Unused] = field(default_factory=list)  # committed as refused.json


def batch_name(index: int) -> str:
    return f"batch-{index + 1:04d}"


def synthetic_batches(spec: str, samples: int, batch_size: int) -> Iterator[StreamBatch]:
    options = (
        dict(item.split("=", 1) for item in spec.split(":", 1)[1].split(",") if "=" in item)
        if ":" in spec
        else {}
    )
    seed = int(options.get("seed", 7))
    size = int(options["size"]) if "size" in options else None
    for start in range(0, samples, batch_size):
        count = min(batch_size, samples - start)
        chunk = [synthetic_sample(seed, i, size) for i in range(start, start + count)]
        yield StreamBatch(batch_files(chunk))


def folder_batches(files: BatchFiles, samples: int, batch_size: int) -> Iterator[StreamBatch]:
    """Split one Oxford tree into batches of samples, each with the refusals that belong to it."""
    listing = parse_list(files.list_text())
    every = files.names()
    names = every[:samples]
    chunks = [names[i : i + batch_size] for i in range(0, len(names), batch_size)]
    if not chunks and files.unused:
        chunks = [[]]  # no sample at all: one batch still carries the reasons
    home = {name: index for index, chunk in enumerate(chunks) for name in chunk}
    refused: dict[int, list[Unused]] = defaultdict(list)
    for entry in files.unused:
        hint = sample_hint(entry)
        if hint in home:
            refused[home[hint]].append(entry)
        elif hint not in every or not names:  # named after no sample: the first batch
            refused[0].append(entry)
        # else it belongs with a sample past --samples, which is not streamed either
    for index, chunk in enumerate(chunks):
        out: dict[str, bytes] = {}
        lines = []
        for name in chunk:
            if name in files.images:
                out[f"images/{name}.jpg"] = files.images[name].data
            if name in files.masks:
                out[f"annotations/trimaps/{name}.png"] = files.masks[name].data
            if name in listing:
                lines.append(f"{name} {' '.join(map(str, listing[name]))}\n")
        out[LIST_PATH] = (LIST_HEADER + "".join(lines)).encode()
        yield StreamBatch(out, refused[index])


def url_files(urls: list[str], workdir: Path) -> BatchFiles:
    files = BatchFiles(STREAM)
    for i, url in enumerate(urls):
        name = PurePosixPath(urllib.parse.urlparse(url).path).name or f"archive-{i}.tar.gz"
        target = workdir / str(i) / name  # entries name the archive as published
        target.parent.mkdir()
        with urllib.request.urlopen(url, timeout=120) as response, open(target, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        read_archive(target, name, files)
    return files


def batches(source: str, samples: int, batch_size: int) -> Iterator[StreamBatch]:
    if source.startswith("synthetic"):
        yield from synthetic_batches(source, samples, batch_size)
    elif source.startswith(("http://", "https://", "file://")):
        with tempfile.TemporaryDirectory() as tmp:
            yield from folder_batches(url_files(source.split(","), Path(tmp)), samples, batch_size)
    else:
        yield from folder_batches(read_batch(Path(source), STREAM), samples, batch_size)


def main(argv: list[str] | None = None) -> int:
    from pachlite.spout import connect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="synthetic[:seed=N], DIR or URLs")
    parser.add_argument("--samples", type=int, help="how many samples in all")
    parser.add_argument("--batch-size", type=int)
    args = parser.parse_args(argv)
    try:
        params = StreamParams.from_env(
            source=args.source, samples=args.samples, batch_size=args.batch_size
        )
    except ParameterError as e:
        print(f"stream: {e}", file=sys.stderr)  # noqa: T201
        return 2
    out = connect()
    for index, batch in enumerate(batches(params.source, params.samples, params.batch_size)):
        name = batch_name(index)
        if out.exists(f"/{name}/{LIST_PATH}"):
            print(f"stream: {name} is already in the repo", flush=True)  # noqa: T201
            continue
        with out.commit(f"{name} from {params.source.split(',')[0]}"):
            for path, data in sorted(batch.files.items()):
                out.put_bytes(f"/{name}/{path}", data)
            if batch.refused:
                out.put_bytes(f"/{name}/{REFUSED_FILE}", dump_entries(batch.refused).encode())
        count = len(batch.refused)
        refused = f", {count} of the source's members not used: {REFUSED_FILE}" if count else ""
        print(f"stream: emitted {name} ({len(batch.files)} files{refused})", flush=True)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
