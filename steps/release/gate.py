"""The release quality gate: thresholds from the environment, a decision with reasons.

`GATE_MIN_<METRIC>=x` requires metrics.json's `<metric>` (lower-cased) to be at least x;
`GATE_MAX_<METRIC>=x` at most x. `GATE_MIN_MEAN_IOU=0.5` and `GATE_MAX_ECE_CALIBRATED=0.05`
are what pipelines/release.yaml sets. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIXES = {"GATE_MIN_": "min", "GATE_MAX_": "max"}


class GateConfigError(ValueError):
    """A threshold that cannot be applied: a typo'd metric, a value that is not a number."""


@dataclass(frozen=True)
class Threshold:
    metric: str
    bound: str  # "min" or "max"
    value: float

    def check(self, actual: float) -> str | None:
        """None if met, else the reason in words."""
        if math.isnan(actual):
            return f"{self.metric} is NaN"
        if self.bound == "min" and actual < self.value:
            return f"{self.metric} {actual:.4f} is below the minimum {self.value:g}"
        if self.bound == "max" and actual > self.value:
            return f"{self.metric} {actual:.4f} is above the maximum {self.value:g}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "bound": self.bound, "value": self.value}


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: list[str]
    thresholds: list[Threshold]

    @property
    def word(self) -> str:
        return "promote" if self.promote else "reject"


def thresholds_from(env: Mapping[str, str]) -> list[Threshold]:
    found = []
    for key in sorted(env):
        for prefix, bound in PREFIXES.items():
            if key.startswith(prefix) and len(key) > len(prefix):
                raw = env[key]
                try:
                    value = float(raw)
                except ValueError:
                    raise GateConfigError(f"{key}={raw!r} is not a number") from None
                if math.isnan(value):
                    raise GateConfigError(f"{key} is NaN: give a number")
                found.append(Threshold(key[len(prefix) :].lower(), bound, value))
    return found


def decide(metrics: Mapping[str, Any], thresholds: list[Threshold]) -> Decision:
    if not thresholds:
        raise GateConfigError(
            "no thresholds: set GATE_MIN_<METRIC> or GATE_MAX_<METRIC> in the spec's env"
        )
    numeric = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    unknown = sorted({t.metric for t in thresholds} - set(numeric))
    if unknown:
        raise GateConfigError(
            f"threshold on {', '.join(unknown)}, which metrics.json does not have "
            f"(it has: {', '.join(sorted(numeric))})"
        )
    reasons = []
    for threshold in thresholds:
        reason = threshold.check(float(numeric[threshold.metric]))
        if reason:
            reasons.append(reason)
    if not reasons:
        met = ", ".join(
            f"{t.metric} {float(numeric[t.metric]):.4f} {'>=' if t.bound == 'min' else '<='} "
            f"{t.value:g}"
            for t in thresholds
        )
        return Decision(True, [f"all thresholds met: {met}"], thresholds)
    return Decision(False, reasons, thresholds)
