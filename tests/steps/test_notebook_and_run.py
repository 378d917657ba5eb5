"""The exploration notebook under papermill, and `make run` end to end at a tiny size."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.steps.test_training import tiny_transform


@pytest.mark.slow
def test_explore_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    import papermill

    transform = tiny_transform(tmp_path, samples=20)
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(REPO_ROOT / "notebooks" / "explore.ipynb"),
        str(out),
        parameters={
            "warehouse_dir": str(tmp_path / "warehouse"),
            "transform_dir": str(transform),
            "samples_to_show": 3,
        },
        cwd=str(REPO_ROOT),
        kernel_name="python3",
        progress_bar=False,
    )
    cells = json.loads(out.read_text())["cells"]
    text = json.dumps(cells)
    assert "20 samples in 1 batches" in text
    assert "image/png" in text  # the pictures were drawn


@pytest.mark.slow
def test_make_run_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PACHLITE_ROOT": str(tmp_path / "store"),
        "SAMPLES": "40",
        "BATCH": "20",
        "IMG_SIZE": "32",
        "TUNE_MAX_EPOCHS": "2",
        "MODEL_EPOCHS": "2",
        "TRAIN_EPOCHS": "1",
    }
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run-demo")],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "== model metrics" in result.stdout and '"val_mean_iou"' in result.stdout
    assert '"ece_calibrated"' in result.stdout and "report: .run/report.html" in result.stdout
    assert "provenance of model@" in result.stdout and "stream@" in result.stdout
    assert "idle: spouts finished" in result.stderr
    from pachlite import Client

    with Client(tmp_path / "store") as client:
        files = {p for p, _, _ in client.walk_file("model@master:/")}
        assert {"/model.keras", "/metrics.json", "/hyperparameters.json"} <= files
        assert any(p.startswith("/saved_model/") for p in files)
        assert any(p.startswith("/logs/model/") for p in files)
        tune = {p for p, _, _ in client.walk_file("tune@master:/")}
        assert {"/optimal_hp.json", "/trials.json"} <= tune
        assert client.fsck().ok
