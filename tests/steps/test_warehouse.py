"""warehouse on a hand-made archive holding every kind of bad sample (issue 6)."""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from steps.oxford import LIST_HEADER, jpeg_bytes, png_bytes, synthetic_sample
from steps.warehouse import main, process_batch


def image_bytes(array: np.ndarray, mode: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


def add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


# One reason per bad kind in bad_batch(): docs/reliability.md counts them.
REASONS = (
    "does not decode",
    "truncated",
    "mask missing",
    "the image is 64x64",
    "outside the trimap",
    "AppleDouble",
    "absolute path",
    "'..' in archive",
    "link in archive",
    "device or FIFO",
    "more pixels than Pillow will decode",
    "too large to be a pet",
)


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def bad_batch(folder: Path) -> Path:
    s = {i: synthetic_sample(1, i, size=64) for i in range(12)}
    names = {i: s[i].name for i in s}
    batch = folder / "batch-bad"
    batch.mkdir(parents=True)
    with tarfile.open(batch / "pets.tar.gz", "w:gz") as tar:
        listing = LIST_HEADER + "".join(x.list_line() + "\n" for x in s.values())
        add(tar, "oxford/annotations/list.txt", listing.encode())
        good_jpg = {i: jpeg_bytes(s[i].image) for i in s}
        images = {
            0: good_jpg[0],  # fine
            1: b"\xff\xd8 this is not a jpeg at all",  # corrupt
            2: good_jpg[2][: len(good_jpg[2]) // 2],  # truncated
            3: image_bytes(s[3].image, "L", "JPEG"),  # grayscale: repaired
            4: image_bytes(s[4].image, "CMYK", "JPEG"),  # CMYK: repaired
            5: image_bytes(s[5].image, "RGBA", "PNG"),  # RGBA PNG as .jpg
            6: image_bytes(s[6].image, "RGB", "PNG"),  # PNG data as .jpg
            7: good_jpg[7],  # mask missing
            8: good_jpg[8],  # mask of another size
            9: good_jpg[9],  # mask values outside
            10: png_header(30000, 30000),  # a decompression bomb: 900M pixels claimed
            11: png_header(12000, 12000),  # huge, under Pillow's limit: too large to be a pet
        }
        for i, data in images.items():
            add(tar, f"oxford/images/{names[i]}.jpg", data)
        for i in (0, 1, 2, 3, 4, 5, 6, 9, 10, 11):
            trimap = s[i].trimap.copy()
            if i == 9:
                trimap[0, 0] = 255
            add(tar, f"oxford/annotations/trimaps/{names[i]}.png", png_bytes(trimap))
        add(tar, f"oxford/annotations/trimaps/{names[8]}.png", png_bytes(s[8].trimap[:32]))
        add(tar, f"oxford/images/._{names[0]}.jpg", b"\x00\x05\x16\x07 AppleDouble")
        add(tar, "/etc/evil.jpg", b"absolute")
        add(tar, "../../escape.jpg", b"dot dot")
        link = tarfile.TarInfo("oxford/images/link.jpg")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        device = tarfile.TarInfo("oxford/images/dev.jpg")
        device.type = tarfile.CHRTYPE
        tar.addfile(device)
    return batch


def test_every_bad_sample_kind_is_repaired_or_rejected_with_its_reason(tmp_path: Path) -> None:
    batch = bad_batch(tmp_path / "in")
    out = tmp_path / "out" / batch.name
    summary = process_batch(batch, out)
    rejects = json.loads((out / "rejects.json").read_text())
    reasons = " | ".join(f"{r.get('sample') or r.get('file')}: {r['reason']}" for r in rejects)
    assert summary == {"samples": 5, "repaired": 4, "rejected": 12}, reasons
    for needle in REASONS:
        assert needle in reasons, needle
    samples = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(samples) == 5
    for sample in samples:
        with Image.open(out / sample / "image.jpg") as image:
            assert image.format == "JPEG" and image.mode == "RGB" and image.size == (64, 64)
        with Image.open(out / sample / "mask.png") as mask_file:
            mask = np.asarray(mask_file)
        assert set(np.unique(mask)) <= {1, 2, 3}
        meta = json.loads((out / sample / "metadata.json").read_text())
        assert meta["id"] == sample and 1 <= meta["class_id"] <= 37
    repairs = [json.loads((out / s / "metadata.json").read_text())["repairs"] for s in samples]
    assert sum(bool(r) for r in repairs) == 4
    assert not (tmp_path / "escape.jpg").exists() and not Path("/etc/evil.jpg").exists()


def test_a_plain_folder_batch_and_the_command_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    batch = tmp_path / "batch-001"
    (batch / "images").mkdir(parents=True)
    (batch / "annotations" / "trimaps").mkdir(parents=True)
    for i in range(3):
        sample = synthetic_sample(5, i)
        (batch / "images" / f"{sample.name}.jpg").write_bytes(jpeg_bytes(sample.image))
        (batch / "annotations" / "trimaps" / f"{sample.name}.png").write_bytes(
            png_bytes(sample.trimap)
        )
    assert main(["--input", str(batch), "--output", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "batch-001" / "summary.json").read_text())
    assert summary == {"samples": 3, "repaired": 0, "rejected": 0}
    assert main(["--input", str(tmp_path / "nope"), "--output", str(tmp_path / "out")]) == 2
