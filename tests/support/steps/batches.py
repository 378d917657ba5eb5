"""Batches for the warehouse and stream tests: bad samples, hostile archives, the spout run."""

from __future__ import annotations

import http.server
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from steps.data.oxford import LIST_HEADER, jpeg_bytes, png_bytes, synthetic_sample
from tests.support.repo import REPO_ROOT

OVERSIZED = (64 << 20) + 1  # one byte over steps.data.archive.MAX_MEMBER_BYTES


def image_bytes(array: np.ndarray, mode: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


def add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def add_special(archive: tarfile.TarFile, name: str, kind: bytes, linkname: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    archive.addfile(info)


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
    """A batch folder holding `pets.tar.gz` with every kind of bad sample and hostile member,
    and a damaged second archive. Expected: 5 kept (4 repaired), 18 rejected, 5 ignored."""
    s = {i: synthetic_sample(1, i, size=64) for i in range(13)}
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
        }  # 12: a trimap with no image
        for i, data in images.items():
            add(tar, f"oxford/images/{names[i]}.jpg", data)
        for i in (0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12):
            trimap = s[i].trimap.copy()
            if i == 9:
                trimap[0, 0] = 255
            add(tar, f"oxford/annotations/trimaps/{names[i]}.png", png_bytes(trimap))
        add(tar, f"oxford/annotations/trimaps/{names[8]}.png", png_bytes(s[8].trimap[:32]))
        # Members that are not part of a sample: listed as ignored.
        add(tar, f"oxford/images/._{names[0]}.jpg", b"\x00\x05\x16\x07 AppleDouble")
        add(tar, "oxford/.DS_Store", b"\x00\x00\x00\x01Bud1")
        add(tar, "oxford/images/x.mat", b"MATLAB 5.0 MAT-file")
        add(tar, f"oxford/annotations/xmls/{names[0]}.xml", b"<annotation/>")
        add(tar, "oxford/images/more.tar.gz", b"\x1f\x8b an archive in the archive")
        # Members refused as unsafe or unusable: listed as rejected.
        add(tar, "/etc/evil.jpg", b"absolute")
        add(tar, "../../escape.jpg", b"dot dot")
        add_special(tar, "oxford/images/link.jpg", tarfile.SYMTYPE, "/etc/passwd")
        add_special(tar, "oxford/images/hard.jpg", tarfile.LNKTYPE, "/etc/shadow")
        add_special(tar, "oxford/images/dev.jpg", tarfile.CHRTYPE)
        add_special(tar, "oxford/images/disk.jpg", tarfile.BLKTYPE)
        add_special(tar, "oxford/images/fifo.jpg", tarfile.FIFOTYPE)
        add(tar, f"copy/images/{names[0]}.jpg", good_jpg[0])  # a second images/<name>.jpg
        info = tarfile.TarInfo("oxford/images/huge.jpg")  # zeros: 64 KiB once compressed
        info.size = OVERSIZED
        tar.addfile(info, io.BytesIO(bytes(OVERSIZED)))
    (batch / "damaged.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    return batch


def mixed_files() -> dict[str, bytes]:
    """One Oxford tree that a folder, a tar and a zip can all hold: good and bad samples,
    metadata and other files, a trimap without its image, a second copy of an image."""
    s = [synthetic_sample(4, i, size=48) for i in range(5)]
    files = {"annotations/list.txt": (LIST_HEADER + s[0].list_line() + "\n").encode()}
    for sample in s[:4]:
        files[f"images/{sample.name}.jpg"] = jpeg_bytes(sample.image)
        files[f"annotations/trimaps/{sample.name}.png"] = png_bytes(sample.trimap)
        files[f"images/._{sample.name}.jpg"] = b"\x00\x05\x16\x07"  # as macOS tar writes them
        files[f"annotations/xmls/{sample.name}.xml"] = b"<annotation/>"
    files[f"images/{s[1].name}.jpg"] = image_bytes(s[1].image, "L", "JPEG")  # repaired
    files[f"images/{s[2].name}.jpg"] = b"\xff\xd8 not a jpeg"  # rejected
    files[f"annotations/trimaps/{s[4].name}.png"] = png_bytes(s[4].trimap)  # image missing
    files[f"second/images/{s[0].name}.jpg"] = jpeg_bytes(s[0].image)  # a second copy
    files["images/Abyssinian_100.mat"] = b"MATLAB 5.0 MAT-file"
    files["annotations/trainval.txt"] = b"x 1 1 1\n"
    files[".DS_Store"] = b"\x00\x00\x00\x01Bud1"
    return files


MIXED_SUMMARY = {"kept": 3, "repaired": 1, "rejected": 3, "ignored": 11}


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder


def write_tar(target: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for path, data in sorted(files.items()):
            add(tar, prefix + path, data)
    return target


def write_zip(target: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(prefix + path, data)
    return target


def zip_member(
    archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0, flags: int = 0
) -> None:
    """A member with Unix mode bits (a link, a device) or flag bits (encrypted) in its header."""
    info = zipfile.ZipInfo(name)
    info.create_system, info.external_attr = 3, mode << 16
    archive.writestr(info, data)
    if flags:
        info.flag_bits |= flags  # written into the central directory when the archive closes


def spout_env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PACHLITE_ROOT": str(root),
        "PACHLITE_SPOUT_REPO": "stream",
        "PYTHONPATH": str(REPO_ROOT),
    }


def run_stream(root: Path, *args: str) -> str:
    """steps.stream as a spout process writing into the repo `stream` of the store at root."""
    return subprocess.run(
        [sys.executable, "-m", "steps.stream", *args],
        env=spout_env(root),
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    ).stdout


def entries(out: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads((out / "rejects.json").read_text())
    return rows


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """The files of folder over HTTP on a free port of 127.0.0.1; yields the base URL."""
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
