"""provenance.json: what identifies the inputs, code and environment that made a step's output.

Each step records itself next to what its inputs recorded, so the last step's file holds the
whole chain: release reads the model version, the training data commit and the model's
pipeline version from evaluate's output alone. A step's record:

- pipeline_version: PPS_SPEC_COMMIT, the pipeline spec version (image, command, env);
- inputs: the commit each input was read from (`<input>_COMMIT`);
- code: sha256 of the step code (steps/**/*.py, and a notebook the step runs), which on pachlite
  runs from the working tree rather than from the image the spec names;
- environment: the fingerprint of steps.reproducibility.environment (versions, device, image,
  hash seed).

Not the job ID, nor any time: the job is the commit the file is in (in Pachyderm a job's ID
is its output commit's ID), and a re-run of the same code on the same inputs must write the
same bytes, so that verification can compare them and downstream datums are skipped.
Outside a pipeline the pipeline and input fields are null.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steps.reproducibility.environment import fingerprint

FILE = "provenance.json"
PROJECT = Path(__file__).resolve().parents[2]


def code_digest(extra: Sequence[Path] = (), root: Path = PROJECT) -> str:
    """sha256 over the path and content of every steps/**/*.py (one image holds them all) and
    of `extra` files, in path order."""
    digest = hashlib.sha256()
    for path in sorted({*root.glob("steps/**/*.py"), *(p.resolve() for p in extra)}):
        name = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        digest.update(name.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()


def this_step(
    inputs: Mapping[str, Path], env: Mapping[str, str], code: Sequence[Path] = ()
) -> dict[str, Any]:
    return {
        "pipeline_version": env.get("PPS_SPEC_COMMIT"),
        "inputs": {name: env.get(f"{name}_COMMIT") for name in sorted(inputs)},
        "code": code_digest(code),
        "environment": fingerprint(env),
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


def chain(
    step: str, inputs: Mapping[str, Path], env: Mapping[str, str], code: Sequence[Path] = ()
) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    for path in inputs.values():
        steps.update(upstream(path))
    steps[step] = this_step(inputs, env, code)
    return {"steps": steps}


def record(
    out: Path,
    inputs: Mapping[str, Path],
    env: Mapping[str, str] | None = None,
    code: Sequence[Path] = (),
) -> None:
    """Write out/provenance.json; `code` names files besides steps/**/*.py the step ran."""
    env = os.environ if env is None else env
    step = env.get("PPS_PIPELINE_NAME") or "local"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(chain(step, inputs, env, code), indent=2, sort_keys=True) + "\n"
    (out / FILE).write_text(text)


def commit_of(steps: Mapping[str, Any], step: str, input_name: str) -> str | None:
    """The commit `step` read from its input `input_name`, if recorded."""
    value = ((steps.get(step) or {}).get("inputs") or {}).get(input_name)
    return value if isinstance(value, str) else None
