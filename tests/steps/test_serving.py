"""Serving: the request checks, and a real MLServer on 127.0.0.1 answering the Open Inference
Protocol with the tiny trained-and-calibrated model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from steps.release.kserve import inference_service
from steps.release.manifest import PARALLEL_WORKERS
from steps.serving.inference import BadRequest, Limits, answer, images_from
from steps.serving.launcher import ServeError, fetch_model, released_version
from tests.support.ports import free_port
from tests.support.repo import REPO_ROOT
from tests.support.steps.catalogues import BAD_REQUESTS, BAD_TENSORS
from tests.support.steps.releases import a_release, bare_repo, git
from tests.support.steps.runs import trained_and_calibrated
from tests.support.steps.serving import post, wait_ready

LIMITS = Limits(size=4, max_batch=2)


def test_images_are_accepted_as_fp32_or_uint8() -> None:
    pixels = np.linspace(0, 1, 2 * 4 * 4 * 3).reshape(2, 4, 4, 3)
    as_float = images_from("FP32", [2, 4, 4, 3], pixels.ravel().tolist(), LIMITS)
    assert as_float.dtype == np.float32 and as_float.shape == (2, 4, 4, 3)
    as_bytes = images_from("UINT8", [1, 4, 4, 3], [[255] * 48], LIMITS)  # nested lists too
    assert as_bytes.max() == 1.0


@pytest.mark.parametrize(("datatype", "shape", "data", "message"), BAD_TENSORS)
def test_bad_tensors_say_what_is_wrong(
    datatype: str, shape: list[int], data: list[Any], message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        images_from(datatype, shape, data, LIMITS)
    assert message in str(caught.value)


def test_answer_is_the_argmax_mask_and_the_probabilities() -> None:
    probs = np.zeros((1, 2, 2, 3))
    probs[..., 2] = 1.0
    out = answer(probs)
    assert out["mask"].dtype == np.uint8 and (out["mask"] == 2).all()
    assert out["probabilities"].shape == (1, 2, 2, 3)


@pytest.fixture(scope="module")
def calibrated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    trained_and_calibrated(folder)
    return folder / "cal"


@contextmanager
def running(argv: list[str], port: int, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """An MLServer process answering on 127.0.0.1:port; stopped with SIGINT afterwards."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture
def server(tmp_path: Path, calibrated_model: Path) -> Iterator[str]:
    port = free_port()
    argv = [
        *(sys.executable, "-m", "steps.serving", "--model-dir", str(calibrated_model)),
        *("--folder", str(tmp_path / "serving"), "--port", str(port)),
        *("--grpc-port", str(free_port())),
    ]
    with running(argv, port, REPO_ROOT, {}) as base:
        yield base


@pytest.mark.slow
def test_mlserver_answers_inference_and_rejects_bad_payloads(server: str) -> None:
    infer = f"{server}/v2/models/pets-unet/infer"
    with urllib.request.urlopen(f"{server}/v2/models/pets-unet", timeout=10) as response:
        metadata = json.loads(response.read())
    assert metadata["inputs"][0]["shape"] == [-1, 32, 32, 3]
    assert [o["name"] for o in metadata["outputs"]] == ["mask", "probabilities"]

    images = np.random.default_rng(0).random((2, 32, 32, 3))
    status, body = post(
        infer,
        {"inputs": [{"name": "images", "datatype": "FP32", "shape": [2, 32, 32, 3],
                     "data": images.ravel().tolist()}]},
    )  # fmt: skip
    assert status == 200, body
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["mask"]["shape"] == [2, 32, 32] and outputs["mask"]["datatype"] == "UINT8"
    assert set(outputs["mask"]["data"]) <= {0, 1, 2}
    probs = np.array(outputs["probabilities"]["data"]).reshape(2, 32, 32, 3)
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-4)
    assert (probs.argmax(-1).ravel() == np.array(outputs["mask"]["data"])).all()

    for payload, code, words in BAD_REQUESTS:
        status, body = post(infer, payload)
        assert status == code, (payload if isinstance(payload, bytes) else words, body)
        assert words in json.dumps(body), body


@pytest.mark.slow
def test_mlserver_started_the_way_the_serving_image_and_seldon_start_it(
    tmp_path: Path, calibrated_model: Path
) -> None:
    """images/serving.Dockerfile's settings.json and environment, with what Seldon Core adds
    (the model's name, /mnt/models as the URI, the ports): no model-settings.json at all."""
    dockerfile = (REPO_ROOT / "images" / "serving.Dockerfile").read_text()
    settings = json.loads(dockerfile.split("printf '")[1].split("\\n'")[0])
    folder = tmp_path / "opt-mlserver"
    folder.mkdir()
    (folder / "settings.json").write_text(json.dumps(settings))
    image_env = {
        "MLSERVER_MODEL_IMPLEMENTATION": "steps.serving.UNetRuntime",
        "MLSERVER_PARALLEL_WORKERS": str(PARALLEL_WORKERS),
    }
    assert all(f"{k}={v}" in dockerfile for k, v in image_env.items())
    port = free_port()
    seldon_env = {
        "MLSERVER_MODEL_NAME": "pets-unet",
        "MLSERVER_MODEL_URI": str(calibrated_model),  # /mnt/models in the pod
        "MLSERVER_MODEL_VERSION": "a" * 32,
        "MLSERVER_HTTP_PORT": str(port),
        "MLSERVER_GRPC_PORT": str(free_port()),
        "MLSERVER_METRICS_PORT": str(free_port()),
        "MLSERVER_HOST": "127.0.0.1",
    }
    launch = "import sys; from mlserver.cli import main; sys.argv[0] = 'mlserver'; main()"
    argv = [sys.executable, "-c", launch, "start", str(folder)]
    with running(argv, port, tmp_path, {**image_env, **seldon_env}) as base:
        status, body = post(
            f"{base}/v2/models/pets-unet/infer",
            {"inputs": [{"name": "images", "datatype": "UINT8", "shape": [1, 32, 32, 3],
                         "data": [128] * (32 * 32 * 3)}]},
        )  # fmt: skip
        assert status == 200, body
        assert body["model_version"] == "a" * 32
        assert [o["name"] for o in body["outputs"]] == ["mask", "probabilities"]


@pytest.mark.slow
def test_mlserver_started_the_way_the_serving_image_and_kserve_start_it(
    tmp_path: Path, calibrated_model: Path
) -> None:
    """The serving image's settings.json, and the environment the released InferenceService
    gives its container (KServe adds nothing but /mnt/models): the same server answers."""
    dockerfile = (REPO_ROOT / "images" / "serving.Dockerfile").read_text()
    folder = tmp_path / "opt-mlserver"
    folder.mkdir()
    (folder / "settings.json").write_text(dockerfile.split("printf '")[1].split("\\n'")[0])
    container = inference_service(a_release())["spec"]["predictor"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLSERVER_PARALLEL_WORKERS"] == str(PARALLEL_WORKERS)
    port = free_port()
    env.update(  # this machine's stand-ins for the pod's /mnt/models and its ports
        MLSERVER_MODEL_URI=str(calibrated_model),
        MLSERVER_HTTP_PORT=str(port),
        MLSERVER_GRPC_PORT=str(free_port()),
        MLSERVER_METRICS_PORT=str(free_port()),
        MLSERVER_HOST="127.0.0.1",
    )
    launch = "import sys; from mlserver.cli import main; sys.argv[0] = 'mlserver'; main()"
    argv = [sys.executable, "-c", launch, "start", str(folder)]
    with running(argv, port, tmp_path, env) as base:
        ready = container["readinessProbe"]["httpGet"]["path"]
        with urllib.request.urlopen(base + ready, timeout=10) as response:
            assert response.status == 200  # the probe the InferenceService declares
        status, body = post(
            f"{base}/v2/models/pets-unet/infer",
            {"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 32, 32, 3],
                         "data": [0.25] * (32 * 32 * 3)}]},
        )  # fmt: skip
        assert status == 200, body
        assert body["model_name"] == "pets-unet" and body["model_version"] == "a" * 32


def released(tmp_path: Path, manifests: dict[str, dict[str, Any]]) -> str:
    """A gitops remote holding these manifests under gitops/serving."""
    remote = bare_repo(tmp_path / "gitops.git")
    work = tmp_path / "work"
    git("clone", "--quiet", str(remote), str(work))
    for name, manifest in manifests.items():
        (work / "gitops" / "serving").mkdir(parents=True, exist_ok=True)
        (work / "gitops" / "serving" / name).write_text(yaml.safe_dump(manifest))
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "r",
        cwd=work)  # fmt: skip
    git("push", "--quiet", "origin", "HEAD:main", cwd=work)
    return str(remote)


def test_make_serve_reads_either_targets_release(tmp_path: Path) -> None:
    from steps.release.seldon import seldon_deployment

    isvc = inference_service(a_release(model_version="1" * 32))
    sdep = seldon_deployment(a_release(model_version="2" * 32))
    remote = released(tmp_path / "k", {"pets-unet-inferenceservice.yaml": isvc})
    assert released_version(remote, "main", "gitops/serving", "pets-unet") == "1" * 32
    remote = released(tmp_path / "s", {"pets-unet-seldondeployment.yaml": sdep})
    assert released_version(remote, "main", "gitops/serving", "pets-unet") == "2" * 32
    both = released(tmp_path / "b", {"pets-unet-inferenceservice.yaml": isvc,
                                     "pets-unet-seldondeployment.yaml": sdep})  # fmt: skip
    with pytest.raises(ServeError, match="set SERVING_TARGET=seldon or SERVING_TARGET=kserve"):
        released_version(both, "main", "gitops/serving", "pets-unet")
    assert released_version(both, "main", "gitops/serving", "pets-unet", "kserve") == "1" * 32
    with pytest.raises(ServeError, match=r"nothing released yet: no .*inferenceservice\.yaml"):
        released_version(remote, "main", "gitops/serving", "pets-unet", "kserve")


def test_make_serve_copies_the_released_commit_out_of_the_store(tmp_path: Path) -> None:
    from pachlite import Client

    with Client(tmp_path / "store") as client:
        client.create_repo("calibrate")
        client.put_file_bytes("calibrate@master:/model.keras", b"weights")
        client.put_file_bytes("calibrate@master:/logs/a.txt", b"log")
        version = client.inspect_commit("calibrate@master").id
    target = tmp_path / "serving" / "model"
    target.mkdir(parents=True)
    (target / "stale.json").write_text("{}")  # what an earlier make serve left
    fetch_model(version, target, tmp_path / "store")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "logs/a.txt",
        "model.keras",
    ]
    assert (target / "model.keras").read_bytes() == b"weights"
    unknown = "0" * 32
    with pytest.raises(ServeError, match=f"^cannot copy the released model calibrate@{unknown}: "):
        fetch_model(unknown, target, tmp_path / "store")
