"""Calibrating per-pixel class probabilities: temperature scaling (default) or isotonic.

Pure numpy. Temperature scaling divides the logits by one T > 0 fitted to minimise the
negative log-likelihood on held-out pixels (Guo et al., 2017); it never changes the argmax,
so accuracy and IoU are untouched. Isotonic maps the top-class confidence through a
monotone step function fitted by pool-adjacent-violators. ECE is the expected calibration
error over equal-width confidence bins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EPS = 1e-12


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def logits_from_probs(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, EPS, 1.0))


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    picked = np.take_along_axis(probs, labels[..., None], axis=-1)[..., 0]
    return float(-np.mean(np.log(np.clip(picked, EPS, 1.0))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.05, 20] minimising NLL: golden-section search on log T (NLL is unimodal)."""
    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2

    def loss(log_t: float) -> float:
        return nll(softmax(logits, float(np.exp(log_t))), labels)

    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    return float(np.exp((lo + hi) / 2))


@dataclass(frozen=True)
class Reliability:
    """Per-bin confidence, accuracy and share of pixels, plus the ECE they add up to."""

    edges: list[float]
    confidence: list[float]
    accuracy: list[float]
    share: list[float]
    ece: float


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> Reliability:
    confidence = probs.max(axis=-1).ravel()
    correct = (probs.argmax(axis=-1) == labels).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    conf, acc, share = [], [], []
    ece = 0.0
    for b in range(bins):
        in_bin = index == b
        n = int(in_bin.sum())
        share.append(n / max(len(confidence), 1))
        if n:
            c, a = float(confidence[in_bin].mean()), float(correct[in_bin].mean())
            ece += share[-1] * abs(a - c)
        else:
            c = a = float("nan")
        conf.append(c)
        acc.append(a)
    return Reliability(edges.tolist(), conf, acc, share, float(ece))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    return reliability(probs, labels, bins).ece


@dataclass
class Isotonic:
    """Monotone map of top-class confidence to accuracy (pool-adjacent-violators)."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    @classmethod
    def fit(cls, probs: np.ndarray, labels: np.ndarray, max_points: int = 200_000) -> Isotonic:
        confidence = probs.max(axis=-1).ravel()
        correct = (probs.argmax(axis=-1) == labels).ravel().astype(np.float64)
        if len(confidence) > max_points:  # a fixed, evenly spaced subsample keeps it exact-ish
            step = len(confidence) // max_points
            confidence, correct = confidence[::step], correct[::step]
        order = np.argsort(confidence, kind="stable")
        xs, ys = confidence[order], correct[order]
        blocks: list[list[float]] = []  # [sum_y, count, max_x]
        for x, y in zip(xs, ys, strict=True):
            blocks.append([float(y), 1.0, float(x)])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                s, n, mx = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
                blocks[-1][2] = mx
        return cls([b[2] for b in blocks], [b[0] / b[1] for b in blocks])

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """Rescale the top class to its calibrated confidence; the rest share what is left."""
        top = probs.argmax(axis=-1)
        confidence = probs.max(axis=-1)
        calibrated = np.interp(confidence, self.x, self.y) if self.x else confidence
        calibrated = np.clip(calibrated, 1.0 / probs.shape[-1], 1.0)
        rest = 1.0 - confidence
        scale = np.where(rest > EPS, (1.0 - calibrated) / np.maximum(rest, EPS), 0.0)
        out = probs * scale[..., None]
        np.put_along_axis(out, top[..., None], calibrated[..., None], axis=-1)
        return out


def apply_calibration(calibration: Mapping[str, Any], probs: np.ndarray) -> np.ndarray:
    """What calibration.json says to do to a model's softmax (the report and serving share it)."""
    if "isotonic" in calibration:
        return Isotonic(calibration["isotonic"]["x"], calibration["isotonic"]["y"]).apply(probs)
    return softmax(logits_from_probs(probs), float(calibration.get("temperature", 1.0)))
