"""Seeds and op determinism, so training twice on the same data gives the same weights."""

from __future__ import annotations

import os


def make_deterministic(seed: int) -> None:
    """Call before building a model. On a CPU this gives bit-identical weights run to run."""
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
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
