"""Checking an inference request's tensor and shaping the answer (pure numpy, no server).

One input: images as FP32 in [0, 1] (what transform writes) or UINT8 in [0, 255], shape
[N, H, W, 3] with H and W the model's input size and 1 <= N <= max_batch. Anything else is
a BadRequest whose message says what was wrong and what was expected; the runtime turns it
into HTTP 400.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DATATYPES = ("FP32", "UINT8")


class BadRequest(ValueError):
    pass


@dataclass(frozen=True)
class Limits:
    size: int  # the model's input height and width
    max_batch: int = 16


def expected(limits: Limits) -> str:
    return f"[N, {limits.size}, {limits.size}, 3] with 1 <= N <= {limits.max_batch}"


def check_shape(shape: list[int], limits: Limits) -> None:
    if len(shape) != 4 or shape[1:] != [limits.size, limits.size, 3]:
        raise BadRequest(f"shape {shape} is not {expected(limits)}: resize the images first")
    if not 1 <= shape[0] <= limits.max_batch:
        raise BadRequest(f"batch of {shape[0]} images is outside {expected(limits)}")


def images_from(datatype: str, shape: list[int], data: Any, limits: Limits) -> np.ndarray:
    """The request's tensor as float32 [N, H, W, 3] in [0, 1], or BadRequest."""
    if datatype not in DATATYPES:
        raise BadRequest(f"datatype {datatype} is not supported: send FP32 (0-1) or UINT8 (0-255)")
    check_shape(shape, limits)
    needed = math.prod(shape)
    try:
        values = np.asarray(data, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise BadRequest("data must be numbers (a flat or nested list)") from None
    if values.size != needed:
        raise BadRequest(f"data has {values.size} values but shape {shape} needs {needed}")
    if not np.isfinite(values).all():
        raise BadRequest("data holds NaN or infinite values")
    if datatype == "UINT8":
        if values.min() < 0 or values.max() > 255 or not np.array_equal(values, np.round(values)):
            raise BadRequest("UINT8 data must be whole numbers from 0 to 255")
        values = values / 255.0
    elif values.min() < 0 or values.max() > 1:
        raise BadRequest("FP32 data must lie in [0, 1] (pixel values divided by 255)")
    return values.reshape(shape).astype(np.float32)


def answer(probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """The class mask (uint8, 0 pet, 1 background, 2 border) and the calibrated probabilities."""
    return {
        "mask": probabilities.argmax(axis=-1).astype(np.uint8),
        "probabilities": probabilities.astype(np.float32),
    }
