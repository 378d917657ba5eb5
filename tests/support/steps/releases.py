"""Support for the release and serving tests: a release value, evaluate's output for the gate,
and real git repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from steps.release.manifest import Release

CAL = "a" * 32  # the calibrate commit: the model version
DATA = "b" * 32
SPEC = "c" * 32
GOOD = {"mean_iou": 0.71, "pixel_accuracy": 0.93, "ece_calibrated": 0.012, "test_images": 40}
GATE = {"GATE_MIN_MEAN_IOU": "0.5", "GATE_MAX_ECE_CALIBRATED": "0.05"}


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def bare_repo(path: Path) -> Path:
    git("init", "--quiet", "--bare", "--initial-branch=main", str(path))
    return path


def revert(remote: Path, commit: str, clone: Path) -> None:
    """What an operator does to roll back: revert the promotion commit and push."""
    git("clone", "--quiet", str(remote), str(clone))
    git("-c", "user.name=ops", "-c", "user.email=ops@example.org", "revert", "--no-edit",
        commit, cwd=clone)  # fmt: skip
    git("push", "--quiet", "origin", "main", cwd=clone)


def a_release(**changes: object) -> Release:
    fields: dict[str, object] = {
        "name": "pets-unet",
        "namespace": "reproml-serving",
        "model_version": CAL,
        "data_commit": DATA,
        "pipeline_version": SPEC,
        "evaluate_commit": "f" * 32,
        "image": "reproml/serving:0.1.0",
        "model_uri": f"s3://{CAL}.master.calibrate.default/",
        "uri_secret": "pachyderm-s3-gateway",
        "metrics": {"mean_iou": 0.7},
    }
    fields.update(changes)
    return Release(**fields)  # type: ignore[arg-type]


def evaluation(folder: Path, metrics: dict[str, float], version: str = CAL) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    steps = {
        "model": {"pipeline_version": SPEC, "job": "j1", "inputs": {"transform": DATA}},
        "calibrate": {"pipeline_version": "d" * 32, "job": "j2", "inputs": {"model": "m"}},
        "evaluate": {"pipeline_version": "e" * 32, "job": "j3", "inputs": {"calibrate": version}},
    }
    (folder / "provenance.json").write_text(json.dumps({"steps": steps}))
    return folder
