"""The catalogues of bad inputs the steps tests check one by one, as data: bench/reliability.py
counts them into docs/reliability.md."""

from __future__ import annotations

from typing import Any

# The catalogue of bad inputs, counted by bench/reliability.py into docs/reliability.md.
# Rejected in bad_batch() (a tar in a batch folder, and the same folder through the stream):
# one reason per kind.
REASONS = (
    "does not decode",
    "truncated",
    "mask missing",
    "the image is 64x64",
    "outside the trimap",
    "more pixels than Pillow will decode",
    "too large to be a pet",
    "image missing",
    "absolute path in archive",
    "'..' in archive path",
    "symbolic link in archive",
    "hard link in archive",
    "device node in archive",
    "FIFO in archive",
    "is larger than 67108864",
    "a second image",
    "archive does not open or is damaged",
)
# Ignored in bad_batch(): members that are not part of a sample, listed with the reason.
IGNORED_REASONS = (
    "AppleDouble metadata file",
    "Finder metadata file",
    "not part of a sample",
    "an archive inside an archive",
)
# Zip members, each rejected with its reason (the archive itself for the last).
ZIP_CASES = {
    "pets.zip:/abs.jpg": "absolute path in archive",
    "pets.zip:C:/windows/abs.jpg": "absolute path in archive",
    "pets.zip:../escape.jpg": "'..' in archive path",
    "pets.zip:images\\..\\..\\escape.jpg": "'..' in archive path",
    "pets.zip:images/link.jpg": "symbolic link in archive",
    "pets.zip:images/dev.jpg": "device node in archive",
    "pets.zip:images/fifo.jpg": "FIFO in archive",
    "pets.zip:images/secret.jpg": "encrypted member",
    "pets.zip:images/crc.jpg": "member does not decompress",
    "broken.zip": "archive does not open or is damaged",
}
# Files of a folder batch, each rejected with its reason.
FOLDER_CASES = {
    "images/link.jpg": "symbolic link (to '/etc/passwd'), not followed",
    "photos": "symbolic link (to '/etc'), not followed",
    "images/fifo.jpg": "device, FIFO or socket",
    "images/socket.jpg": "device, FIFO or socket",
    "refused.json": "the spout's list of unused members does not read",
}

# Tensors the runtime's request check refuses (steps.serving.inference), each with the words its
# BadRequest must say; images_from is checked against limits of size 4 and max_batch 2.
BAD_TENSORS: list[tuple[str, list[int], list[Any], str]] = [
    ("BYTES", [1, 4, 4, 3], ["a"] * 48, "datatype BYTES is not supported"),
    ("FP32", [1, 4, 4], [0.0] * 16, "shape [1, 4, 4] is not [N, 4, 4, 3]"),
    ("FP32", [1, 8, 8, 3], [0.0] * 192, "resize the images first"),
    ("FP32", [3, 4, 4, 3], [0.0] * 144, "batch of 3 images is outside"),
    ("FP32", [1, 4, 4, 3], [0.0] * 47, "data has 47 values but shape [1, 4, 4, 3] needs 48"),
    ("FP32", [1, 4, 4, 3], ["x"] * 48, "data must be numbers"),
    ("FP32", [1, 4, 4, 3], [float("nan")] * 48, "NaN or infinite"),
    ("FP32", [1, 4, 4, 3], [2.0] * 48, "must lie in [0, 1]"),
    ("UINT8", [1, 4, 4, 3], [256] * 48, "whole numbers from 0 to 255"),
    ("UINT8", [1, 4, 4, 3], [0.5] * 48, "whole numbers from 0 to 255"),
]


def one(**changes: Any) -> dict[str, Any]:
    tensor = {"name": "images", "datatype": "FP32", "shape": [1, 32, 32, 3],
              "data": [0.5] * (32 * 32 * 3)}  # fmt: skip
    return {"inputs": [{**tensor, **changes}]}


# Malformed requests and the answer each must get (docs/reliability.md counts them).
BAD_REQUESTS: list[tuple[Any, int, str]] = [
    (one(shape=[1, 64, 64, 3], data=[0.5] * (64 * 64 * 3)), 400, "resize the images"),
    (one(data=[0.5] * 7), 400, "data has 7 values"),
    (one(datatype="INT32"), 400, "datatype INT32 is not supported"),
    (one(data=[9.0] * (32 * 32 * 3)), 400, "must lie in [0, 1]"),
    (one(shape=[17, 32, 32, 3], data=[0.0] * (17 * 32 * 32 * 3)), 400, "batch of 17"),
    ({"inputs": []}, 400, "exactly one input"),
    (one(datatype="NOT-A-TYPE"), 422, "datatype"),
    ({"no": "inputs"}, 422, "inputs"),
    (b"{not json", 422, "JSON"),
]
