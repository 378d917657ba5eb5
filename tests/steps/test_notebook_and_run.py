"""The exploration notebook under papermill, and `make run` then `make serve` end to end at a
tiny size, through either serving target."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.support.ports import free_port
from tests.support.repo import REPO_ROOT
from tests.support.steps.runs import tiny_transform
from tests.support.steps.serving import post, wait_ready


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


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        ["make", "-s", "serve"],
        env={**env, "PORT": str(port), "GRPC_PORT": str(free_port())},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make, python, mlserver: stopped together
    )
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_make_run_then_make_serve_at_a_tiny_size(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {
        **os.environ,
        "PACHLITE_ROOT": str(tmp_path / "store"),
        "RUN_DIR": str(run_dir),
        "SAMPLES": "40",
        "BATCH": "20",
        "IMG_SIZE": "32",
        "TUNE_MAX_EPOCHS": "2",
        "MODEL_EPOCHS": "2",
        "TRAIN_EPOCHS": "1",
        # Two epochs at 32x32 cannot reach the real bar; the gate itself is tested elsewhere.
        "GATE_MIN_MEAN_IOU": "0",
        "GATE_MIN_PIXEL_ACCURACY": "0",
        "GATE_MAX_ECE_CALIBRATED": "1",
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
    assert '"ece_calibrated"' in result.stdout
    assert f"report: {run_dir}/report.html" in result.stdout
    assert "provenance of model@" in result.stdout and "stream@" in result.stdout
    assert "idle: spouts finished" in result.stderr
    assert "decision: promote pets-unet" in result.stdout
    # The profile a user sees last: one row per pipeline that ran, one column per batch, the
    # second batch skipping the first's datums where the glob splits by batch.
    profile = result.stdout.split("== time per pipeline", 1)[1].splitlines()
    assert profile[1].split() == ["pipeline", "job", "1", "job", "2", "total", "share"]
    rows = {line.split()[0]: line for line in profile[2:] if line.strip()}
    assert {"warehouse", "transform", "train", "tune", "model", "evaluate", "release"} <= set(rows)
    assert "(1 of 2 skipped)" in rows["transform"]
    decision = json.loads((run_dir / "release.json").read_text())
    head = subprocess.run(
        ["git", "--git-dir", str(run_dir / "gitops.git"), "rev-parse", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert decision["git_commit"] == head and f"promotion commit: {head}" in result.stdout
    assert (run_dir / "report.html").stat().st_size > 10_000
    assert (run_dir / "lineage.svg").read_text().count("release@") >= 1
    from pachlite import Client

    with Client(tmp_path / "store") as client:
        files = {p for p, _, _ in client.walk_file("model@master:/")}
        assert {"/model.keras", "/metrics.json", "/hyperparameters.json"} <= files
        assert any(p.startswith("/saved_model/") for p in files)
        assert any(p.startswith("/logs/model/") for p in files)
        tune = {p for p, _, _ in client.walk_file("tune@master:/")}
        assert {"/optimal_hp.json", "/trials.json"} <= tune
        # The released version is the calibrate commit the evaluation read.
        assert decision["version"] == client.inspect_commit("calibrate@master").id
        assert client.fsck().ok

    serve_and_infer(env, decision["version"])

    # The same run promoted through KServe: only the release pipeline runs again, its commit
    # swaps the SeldonDeployment for an InferenceService, and make serve serves it alike.
    switched = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run-demo")],
        env={**env, "SERVING_TARGET": "kserve"}, cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert switched.returncode == 0, switched.stderr[-3000:]
    assert "serving target seldon -> kserve: reprocessing the release pipeline" in switched.stdout
    # Its closing profile is this run's: the release job, not the first run's training.
    again = switched.stdout.split("== time per pipeline", 1)[1].splitlines()
    again_rows = {
        line.split()[0] for line in again[2:] if line.strip().startswith(("release", "train"))
    }
    assert again_rows == {"release"}, again
    moved = json.loads((run_dir / "release.json").read_text())
    assert moved["target"] == "kserve" and moved["version"] == decision["version"]
    assert moved["manifest"] == "gitops/serving/pets-unet-inferenceservice.yaml"
    tree = subprocess.run(
        ["git", "--git-dir", str(run_dir / "gitops.git"), "ls-tree", "--name-only", "main",
         "gitops/serving/"], capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert tree == [moved["manifest"]]
    serve_and_infer(env, decision["version"])


def serve_and_infer(env: dict[str, str], version: str) -> None:
    proc, base = serve(env)
    try:
        wait_ready(base, proc)
        images = np.random.default_rng(1).random((1, 32, 32, 3)).ravel().tolist()
        status, body = post(
            f"{base}/v2/models/pets-unet/infer",
            {"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 32, 32, 3],
                         "data": images}]},
        )  # fmt: skip
        assert status == 200, body
        assert body["model_version"] == version
        assert [o["shape"] for o in body["outputs"]] == [[1, 32, 32], [1, 32, 32, 3]]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
