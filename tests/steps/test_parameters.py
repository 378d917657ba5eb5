"""Each step's parameters come from the environment its spec sets, and from nowhere else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from steps import parameters
from steps.parameters import (
    CalibrateParams,
    EvaluateParams,
    ModelParams,
    ParameterError,
    ReleaseParams,
    StreamParams,
    TrainParams,
    TransformParams,
    TuneParams,
)
from tests.support.repo import REPO_ROOT

STEPS = {
    "stream": StreamParams,
    "transform": TransformParams,
    "train": TrainParams,
    "tune": TuneParams,
    "model": ModelParams,
    "calibrate": CalibrateParams,
    "evaluate": EvaluateParams,
    "release": ReleaseParams,
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_specs_env_alone_gives_every_parameter(
    step: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a step reads by hand from a checkout is exactly what its spec sets in a pipeline,
    where no pipelines/ folder is there to fall back on (the images hold none)."""
    from_checkout = STEPS[step].from_env({})
    # Where a release is pushed, and the bar it must pass, belong to the deployment: never taken
    # from the spec by hand.
    spec_env = {
        k: v
        for k, v in parameters.spec_env(step).items()
        if k != "GITOPS_REPO" and not k.startswith("GATE_")
    }
    monkeypatch.setattr(parameters, "PIPELINES", tmp_path)
    assert STEPS[step].from_env(spec_env) == from_checkout


def test_a_variable_neither_set_nor_in_a_spec_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(parameters, "PIPELINES", tmp_path)
    with pytest.raises(ParameterError) as caught:
        TrainParams.from_env({"SEED": "42"})
    message = "TRAIN_EPOCHS is not set: pipelines/train.yaml sets it in transform.env"
    assert str(caught.value) == message
    assert TrainParams.from_env({"SEED": "7", "TRAIN_EPOCHS": "3"}) == TrainParams(3, 7)


def test_a_value_that_is_not_a_number_stops_the_step_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "steps.train", "--input", str(tmp_path), "--output", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TRAIN_EPOCHS": "two"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == "train: TRAIN_EPOCHS='two' is not a whole number\n"
