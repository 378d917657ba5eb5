"""Segmentation metrics from a confusion matrix: pixel accuracy, IoU, Dice/F1 (pure numpy)."""

from __future__ import annotations

import numpy as np

CLASSES = ("pet", "background", "border")


def confusion(labels: np.ndarray, predicted: np.ndarray, classes: int = 3) -> np.ndarray:
    """counts[true, predicted] over every pixel."""
    index = labels.astype(np.int64).ravel() * classes + predicted.astype(np.int64).ravel()
    return np.bincount(index, minlength=classes * classes).reshape(classes, classes)


def scores(matrix: np.ndarray) -> dict[str, object]:
    tp = np.diag(matrix).astype(np.float64)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    iou = np.divide(tp, tp + fp + fn, out=np.zeros_like(tp), where=(tp + fp + fn) > 0)
    dice = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=(2 * tp + fp + fn) > 0)
    return {
        "pixel_accuracy": float(tp.sum() / max(matrix.sum(), 1)),
        "mean_iou": float(iou.mean()),
        "iou": {name: float(v) for name, v in zip(CLASSES, iou, strict=True)},
        "mean_dice": float(dice.mean()),
        "dice": {name: float(v) for name, v in zip(CLASSES, dice, strict=True)},
    }
