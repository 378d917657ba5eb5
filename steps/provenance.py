"""provenance.json: which commits and pipeline versions made a step's output.

Each step records itself (pipeline, pipeline version, job, input commits, from the variables
Pachyderm and pachlite set) next to what its inputs recorded, so the last step's file holds
the whole chain: release reads the model version, the training data commit and the model's
pipeline version from evaluate's output alone. Outside a pipeline the fields are null.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILE = "provenance.json"


def this_step(inputs: Mapping[str, Path], env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "pipeline_version": env.get("PPS_SPEC_COMMIT"),
        "job": env.get("PACH_JOB_ID"),
        "inputs": {name: env.get(f"{name}_COMMIT") for name in sorted(inputs)},
    }


def upstream(path: Path) -> dict[str, Any]:
    """The chain an input recorded (a datum may mount a file: look beside it)."""
    folder = path if path.is_dir() else path.parent
    try:
        recorded = json.loads((folder / FILE).read_text())
    except (OSError, ValueError):
        return {}
    steps = recorded.get("steps") if isinstance(recorded, dict) else None
    return steps if isinstance(steps, dict) else {}


def chain(step: str, inputs: Mapping[str, Path], env: Mapping[str, str]) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    for path in inputs.values():
        steps.update(upstream(path))
    steps[step] = this_step(inputs, env)
    return {"steps": steps}


def record(out: Path, inputs: Mapping[str, Path], env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    step = env.get("PPS_PIPELINE_NAME") or "local"
    out.mkdir(parents=True, exist_ok=True)
    (out / FILE).write_text(json.dumps(chain(step, inputs, env), indent=2, sort_keys=True))


def commit_of(steps: Mapping[str, Any], step: str, input_name: str) -> str | None:
    """The commit `step` read from its input `input_name`, if recorded."""
    value = ((steps.get(step) or {}).get("inputs") or {}).get(input_name)
    return value if isinstance(value, str) else None
