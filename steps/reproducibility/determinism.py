"""Seeds, op determinism and the hash seed, so a step re-run on the same inputs and in the same
environment writes the same bytes."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# PYTHONHASHSEED only works when it is set before the interpreter starts: the pipeline specs
# set it in transform.env. This is the value they use.
HASH_SEED = "0"


def hash_seed_problem(env: Mapping[str, str]) -> str | None:
    """Why string hashing is randomised in this process, or None when its seed is fixed."""
    value = env.get("PYTHONHASHSEED")
    if value is None or value == "":
        return "PYTHONHASHSEED is not set"
    if not value.isdigit() or int(value) > 2**32 - 1:
        return f"PYTHONHASHSEED is {value!r}, not a number from 0 to 4294967295"
    return None


def check_environment(step: str, env: Mapping[str, str] | None = None) -> bool:
    """Call first in a step's main; False means stop with exit code 1 (the reason printed).
    In a pipeline a randomised hash seed is refused (outputs could differ from run to run,
    and a re-run could not prove them); run by hand it is a warning. A SOURCE_DATE_EPOCH that
    is not a number is refused everywhere."""
    from steps.reproducibility.sealing import fixed_time

    env = os.environ if env is None else env
    try:
        fixed_time(env)
    except ValueError as e:
        print(f"{step}: {e}", file=sys.stderr)  # noqa: T201
        return False
    problem = hash_seed_problem(env)
    if problem is None:
        return True
    advice = (
        f"{problem}, so set order can change from run to run and the outputs may not be "
        f'bit-identical: add PYTHONHASHSEED: "{HASH_SEED}" to the pipeline\'s transform.env '
        "(it works only when set before Python starts)"
    )
    refused = bool(env.get("PPS_PIPELINE_NAME"))
    print(f"{step}: {'' if refused else 'warning: '}{advice}", file=sys.stderr)  # noqa: T201
    return not refused


def make_deterministic(seed: int) -> None:
    """Call before building a model. On a CPU this gives bit-identical weights run to run."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN reorders float sums (results drift run to run) and, in TF 2.18.1 on CPU, aborts
    # with "double free or corruption" for 8-filter separable convolutions: off. It must be
    # set before TensorFlow is imported, which is why the steps call this first.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow generators
    tf.config.experimental.enable_op_determinism()


def device() -> str:
    """'GPU' when TensorFlow sees one, else 'CPU' (it uses a GPU by itself when present)."""
    import tensorflow as tf

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
