"""Calibration: lower ECE on over-confident predictions; the step on a real (tiny) model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from steps.calibrate import calibrate
from steps.evaluation.calibration import expected_calibration_error, fit_temperature, softmax
from tests.support.steps.runs import run_step, trained_and_calibrated


def overconfident(n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels drawn from true probabilities; the 'model' reports logits three times too sharp."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.0, (n, 3))
    labels = np.array([rng.choice(3, p=p) for p in softmax(logits)])
    return logits * 3.0, labels, softmax(logits)


def test_temperature_scaling_lowers_ece_on_overconfident_data() -> None:
    sharp, labels, _ = overconfident()
    raw = softmax(sharp)
    temperature = fit_temperature(sharp, labels)
    assert 2.5 < temperature < 3.5  # it finds the factor the logits were sharpened by
    before = expected_calibration_error(raw, labels)
    after = expected_calibration_error(softmax(sharp, temperature), labels)
    assert before > 0.1 and after < before / 3
    assert np.array_equal(softmax(sharp, temperature).argmax(-1), raw.argmax(-1))


@pytest.mark.parametrize("method", ["temperature", "isotonic"])
def test_both_methods_lower_ece(method: str) -> None:
    sharp, labels, _ = overconfident(seed=1)
    raw = softmax(sharp)
    _, calibrated = calibrate(raw, labels, method)
    assert expected_calibration_error(calibrated, labels) < expected_calibration_error(raw, labels)
    assert np.allclose(calibrated.sum(-1), 1.0)


def test_unknown_method_is_an_error() -> None:
    sharp, labels, _ = overconfident(n=100)
    with pytest.raises(ValueError, match="temperature or isotonic"):
        calibrate(softmax(sharp), labels, "platt")


@pytest.mark.slow
def test_calibrate_step_on_a_tiny_trained_model(tmp_path: Path) -> None:
    trained_and_calibrated(tmp_path)
    result = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert result["ece_after"] <= result["ece_before"]
    assert result["pixels"] == result["samples"] * 32 * 32
    assert (tmp_path / "cal" / "reliability.png").stat().st_size > 1000
    assert (tmp_path / "cal" / "model.keras").exists()


@pytest.mark.slow
def test_evaluation_report_under_papermill(tmp_path: Path) -> None:
    data = trained_and_calibrated(tmp_path)
    run_step(
        "evaluate",
        "--data",
        data / "test",
        "--model",
        tmp_path / "cal",
        "--output",
        tmp_path / "eval",
    )
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert 0 <= metrics["mean_iou"] <= 1 and set(metrics["iou"]) == {"pet", "background", "border"}
    assert metrics["ece_calibrated"] <= metrics["ece_raw"] + 0.05
    html = (tmp_path / "eval" / "report.html").read_text()
    assert "<table" in html and "mean IoU" in html and "ECE calibrated" in html
    assert html.count("data:image/png") >= 3  # confusion matrix, reliability, image grid
    assert (tmp_path / "eval" / "Report.ipynb").exists()
