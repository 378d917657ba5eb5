"""Checking one Oxford sample: repair what is safe to repair, reject the rest with a reason.

Safe repairs (the pixels keep their meaning): grayscale, palette, CMYK or RGBA images become
RGB; PNG data under a .jpg name is re-encoded as JPEG. Rejections: an image that does not
decode or is truncated, a missing mask, a mask of another size, mask values outside the
trimap's {1, 2, 3}. A batch never fails because of one sample.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

from steps.data.oxford import jpeg_bytes, png_bytes

TRIMAP_VALUES = frozenset({1, 2, 3})
MAX_PIXELS = 40_000_000  # a decompression bomb is not a pet photo


@dataclass
class CheckedSample:
    name: str
    image: bytes | None = None  # JPEG, RGB
    mask: bytes | None = None  # PNG, uint8 trimap
    width: int = 0
    height: int = 0
    repairs: list[str] = field(default_factory=list)
    reason: str | None = None  # set when rejected

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_sample(name: str, image: bytes | None, mask: bytes | None) -> CheckedSample:
    result = CheckedSample(name)
    if image is None:
        result.reason = "image missing"
        return result
    try:
        rgb, repairs = _decode_rgb(image)
    except ValueError as exc:
        result.reason = str(exc)
        return result
    result.repairs = repairs
    if mask is None:
        result.reason = "mask missing"
        return result
    try:
        trimap = _decode_mask(mask)
    except ValueError as exc:
        result.reason = str(exc)
        return result
    if trimap.shape != rgb.shape[:2]:
        result.reason = (
            f"mask is {trimap.shape[1]}x{trimap.shape[0]} but the image is "
            f"{rgb.shape[1]}x{rgb.shape[0]}"
        )
        return result
    outside = sorted(set(np.unique(trimap).tolist()) - TRIMAP_VALUES)
    if outside:
        result.reason = f"mask values {outside[:5]} are outside the trimap (1, 2, 3)"
        return result
    result.image = image if not repairs else jpeg_bytes(rgb)
    result.mask = png_bytes(trimap.astype(np.uint8))
    result.height, result.width = trimap.shape
    return result


def _decode_rgb(data: bytes) -> tuple[np.ndarray, list[str]]:
    repairs: list[str] = []
    try:
        with warnings.catch_warnings():  # the size is checked just below, in words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        with probe:
            fmt = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValueError(f"image is {probe.width}x{probe.height}, too large to be a pet")
            probe.verify()  # structure
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # pixels: a truncated file fails here
            mode = img.mode
            if fmt != "JPEG":
                repairs.append(f"{fmt} data under a .jpg name: re-encoded as JPEG")
            if mode != "RGB":
                repairs.append(f"{mode} image converted to RGB")
                if mode in ("RGBA", "LA", "PA"):
                    background = Image.new("RGBA", img.size, (255, 255, 255, 255))
                    img = Image.alpha_composite(background, img.convert("RGBA"))
                img = img.convert("RGB")
            return np.asarray(img, dtype=np.uint8), repairs
    except Image.DecompressionBombError:
        raise ValueError("image claims more pixels than Pillow will decode (a bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"image does not decode: {_short(exc)}") from None


def _decode_mask(data: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode not in ("L", "P", "I", "I;16"):  # RGB masks: take the first channel
                img = img.getchannel(0)
            return np.asarray(img).astype(np.int64)  # checked against {1, 2, 3} by the caller
    except Image.DecompressionBombError:
        raise ValueError("mask claims more pixels than Pillow will decode (a bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"mask does not decode: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not an image file"
    return str(exc).splitlines()[0][:120] or type(exc).__name__
