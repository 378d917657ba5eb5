"""Bit-identical outputs: every ML step run twice on the same inputs with the same environment
writes the same bytes, and the pieces that make it so (sealed Keras archives, event files and
notebooks, the hash seed check, the environment fingerprint, provenance without job or time)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from steps.reproducibility import environment, provenance
from steps.reproducibility import sealing as reproducible
from steps.reproducibility.determinism import HASH_SEED, check_environment
from tests.support.repo import REPO_ROOT
from tests.support.steps.runs import run_step, tiny_transform

# -- each ML step, twice, as the pipeline runs it ----------------------------------------------

# (step, {input name: (upstream, path in it)}, arguments, extra environment)
CHAIN = [
    ("train", {"transform": ("transform", "")}, ["--input", "{transform}"], {"TRAIN_EPOCHS": "1"}),
    (
        "tune",
        {"transform": ("transform", "")},
        ["--input", "{transform}"],
        {"TUNE_MAX_EPOCHS": "2"},
    ),
    (
        "model",
        {"transform": ("transform", ""), "tune": ("tune", "optimal_hp.json")},
        ["--input", "{transform}", "--hyperparameters", "{tune}"],
        {"MODEL_EPOCHS": "2"},
    ),
    (
        "calibrate",
        {"transform": ("transform", "calibration"), "model": ("model", "")},
        ["--data", "{transform}", "--model", "{model}"],
        {},
    ),
    (
        "evaluate",
        {"transform": ("transform", "test"), "calibrate": ("calibrate", "")},
        ["--data", "{transform}", "--model", "{calibrate}"],
        {},
    ),
]


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_datum(step: str, inputs: dict[str, tuple[Path, str]], args: list[str], scratch: Path,
              extra: dict[str, str]) -> Path:  # fmt: skip
    """The step in a fresh /pfs of its own (as a re-run gets), with the variables Pachyderm
    sets: the same job, pipeline version and input commits every time."""
    pfs = scratch / "pfs"
    env = {
        "PYTHONHASHSEED": HASH_SEED,
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "PPS_PIPELINE_NAME": step,
        "PACH_JOB_ID": "a" * 32,
        "PPS_SPEC_COMMIT": hashlib.sha256(step.encode()).hexdigest()[:32],
        **extra,
    }
    paths = {}
    for name, (source, sub) in inputs.items():  # only what the glob matched, at its path
        target = pfs / name / sub
        target.parent.mkdir(parents=True, exist_ok=True)
        if (source / sub).is_dir():
            shutil.copytree(source / sub, target)
        else:
            shutil.copyfile(source / sub, target)
        paths[name] = str(target)
        env[f"{name}_COMMIT"] = hashlib.sha256(name.encode()).hexdigest()[:32]
    run_step(step, *[a.format(**paths) for a in args], "--output", pfs / "out", **env)
    return pfs / "out"


@pytest.mark.slow
def test_every_ml_step_rerun_with_the_same_environment_writes_identical_files(
    tmp_path: Path,
) -> None:
    outputs = {"transform": tiny_transform(tmp_path / "data", samples=40)}
    for step, wiring, args, extra in CHAIN:
        inputs = {name: (outputs[repo], sub) for name, (repo, sub) in wiring.items()}
        first = run_datum(step, inputs, args, tmp_path / step / "first", extra)
        again = run_datum(step, inputs, args, tmp_path / step / "again", extra)
        a, b = digests(first), digests(again)
        assert a == b, f"{step}: {sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))}"
        outputs[step] = first
    model = set(digests(outputs["model"]))
    assert {"model.keras", "saved_model/saved_model.pb", "provenance.json"} <= model
    assert any(p.startswith("logs/model/train/events.out.tfevents.") for p in model)
    assert any("/execution0/" in p for p in digests(outputs["tune"]))  # keras-tuner's hparams
    assert {"Report.ipynb", "report.html", "metrics.json"} <= set(digests(outputs["evaluate"]))
    assert "reliability.png" in digests(outputs["calibrate"])
    # The report shows where its inputs are relative to /pfs, not a scratch folder.
    report = (outputs["evaluate"] / "Report.ipynb").read_text()
    assert str(tmp_path) not in report and '"transform/test"' in report
    chain = json.loads((outputs["evaluate"] / "provenance.json").read_text())["steps"]
    assert set(chain) == {"model", "calibrate", "evaluate"}
    assert chain["evaluate"]["environment"]["hash_seed"] == HASH_SEED


# -- model.keras ----------------------------------------------------------------------------


def keras_like_archive(
    shared_id: int, saved: str, when: tuple[int, int, int, int, int, int]
) -> bytes:
    """A .keras as Keras writes one: date_saved, object ids, a weights entry stamped now."""
    config = {
        "class_name": "Functional",
        "config": {"layers": [{"shared_object_id": shared_id}, {"shared_object_id": shared_id},
                              {"shared_object_id": shared_id + 8}]},
    }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3", "date_saved": saved}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr(zipfile.ZipInfo("model.weights.h5", date_time=when), b"weights")
    return buffer.getvalue()


def test_sealed_keras_archives_of_one_model_are_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a.keras", tmp_path / "b.keras"
    first.write_bytes(
        keras_like_archive(140100298708016, "2026-12-01@20:43:27", (2026, 12, 1, 20, 43, 26))
    )
    second.write_bytes(
        keras_like_archive(139988112200784, "2026-12-02@08:01:02", (2026, 12, 2, 8, 1, 2))
    )
    assert first.read_bytes() != second.read_bytes()
    for path in (first, second):
        reproducible.seal_keras_archive(path)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert [i.date_time for i in archive.infolist()] == [(1980, 1, 1, 0, 0, 0)] * 3
        metadata = json.loads(archive.read("metadata.json"))
        layers = json.loads(archive.read("config.json"))["config"]["layers"]
        assert archive.read("model.weights.h5") == b"weights"
    assert metadata == {"keras_version": "3", "date_saved": "1980-01-01@00:00:00"}
    assert [layer["shared_object_id"] for layer in layers] == [1, 1, 2]  # sharing kept


def test_the_fixed_time_is_source_date_epoch_or_1980() -> None:
    assert reproducible.fixed_time({}) == 315532800
    assert reproducible.fixed_time({"SOURCE_DATE_EPOCH": "1796000000"}) == 1796000000
    assert reproducible.fixed_time({"SOURCE_DATE_EPOCH": "0"}) == 315532800  # zip's earliest
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH is 'yesterday'"):
        reproducible.fixed_time({"SOURCE_DATE_EPOCH": "yesterday"})


# -- TensorBoard event files ----------------------------------------------------------------


def write_logs(folder: Path, wall_time: float) -> None:
    """Event files as Keras's callback and keras-tuner's hparams callback write them."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import plugin_data_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    start = plugin_data_pb2.HParamsPluginData(
        version=0, session_start_info=plugin_data_pb2.SessionStartInfo(start_time_secs=wall_time)
    )
    hparams = summary_pb2.Summary.Value(tag="_hparams_/session_start_info")
    hparams.metadata.plugin_data.plugin_name = "hparams"
    hparams.metadata.plugin_data.content = start.SerializeToString()
    for sub, values in (("train", [0.9, 0.5]), ("validation", [0.8, 0.6])):
        writer = EventFileWriter(str(folder / sub))
        for step, value in enumerate(values):
            scalar = summary_pb2.Summary.Value(tag="epoch_loss", simple_value=value)
            summary = summary_pb2.Summary(value=[scalar, hparams] if step == 0 else [scalar])
            writer.add_event(
                event_pb2.Event(step=step, wall_time=wall_time + step, summary=summary)
            )
        writer.close()


def test_sealed_event_files_are_identical_and_tensorboard_reads_them(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    write_logs(tmp_path / "a", time.time())
    write_logs(tmp_path / "b", time.time() + 1234.5)
    assert digests(tmp_path / "a") != digests(tmp_path / "b")
    for run in ("a", "b"):
        reproducible.seal_event_files(tmp_path / run)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert sorted(digests(tmp_path / "a")) == [
        "train/events.out.tfevents.315532800.reproml.0.v2",
        "validation/events.out.tfevents.315532800.reproml.0.v2",
    ]
    loaded = EventAccumulator(str(tmp_path / "a" / "train"))
    loaded.Reload()
    scalars = loaded.Scalars("epoch_loss")
    assert [(s.step, round(s.value, 3), s.wall_time) for s in scalars] == [
        (0, 0.9, 315532800.0),
        (1, 0.5, 315532800.0),
    ]
    reproducible.seal_event_files(tmp_path / "a")  # sealing twice changes nothing
    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_a_damaged_event_file_is_an_error_not_a_silent_rewrite(tmp_path: Path) -> None:
    write_logs(tmp_path, time.time())
    path = next((tmp_path / "train").iterdir())
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated TFRecord"):
        reproducible.seal_event_files(tmp_path)


# -- the report -----------------------------------------------------------------------------


def test_a_sealed_notebook_has_no_times_and_no_random_ids() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "start_time": "2026-12-01T20:43:54", "end_time": "2026-12-01T20:44:01", "duration": 7.9,
        "input_path": "/home/me/reproml/notebooks/evaluate.ipynb", "output_path": "/tmp/x.ipynb",
        "parameters": {"data_dir": "transform/test"},
    }  # fmt: skip
    injected = nbformat.v4.new_code_cell("data_dir = 'transform/test'")
    injected.metadata = {"tags": ["injected-parameters"], "papermill": {"duration": 0.1}}
    plain = nbformat.v4.new_code_cell("1 + 1")
    plain.metadata = {
        "execution": {"iopub.status.busy": "2026-12-01T20:43:54Z"},
        "papermill": {"start_time": "x", "end_time": "y", "status": "completed"},
    }
    nb.cells = [injected, plain]
    reproducible.seal_notebook(nb, "notebooks/evaluate.ipynb")
    assert nb.metadata["papermill"] == {
        "input_path": "notebooks/evaluate.ipynb",
        "output_path": None,
        "parameters": {"data_dir": "transform/test"},
    }
    assert injected.id == "injected-parameters" and injected.metadata["papermill"] == {}
    assert plain.metadata == {"papermill": {"status": "completed"}}
    nbformat.validate(nb)


# -- the hash seed --------------------------------------------------------------------------


def test_a_random_hash_seed_is_refused_in_a_pipeline_a_warning_by_hand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_environment("model", {"PYTHONHASHSEED": "0", "PPS_PIPELINE_NAME": "model"})
    assert not check_environment("model", {"PPS_PIPELINE_NAME": "model"})
    refused = capsys.readouterr().err
    assert refused.startswith("model: PYTHONHASHSEED is not set") and "transform.env" in refused
    assert check_environment("model", {"PYTHONHASHSEED": "random"})
    assert capsys.readouterr().err.startswith("model: warning: PYTHONHASHSEED is 'random'")
    assert not check_environment("model", {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "now"})
    assert capsys.readouterr().err == (
        "model: SOURCE_DATE_EPOCH is 'now': give whole seconds since 1970\n"
    )


def test_a_step_in_a_pipeline_without_the_hash_seed_stops_before_it_writes(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    result = subprocess.run(
        [sys.executable, "-m", "steps.train", "--input", str(tmp_path), "--output",
         str(tmp_path / "out")],
        env={**env, "PYTHONPATH": str(REPO_ROOT), "PPS_PIPELINE_NAME": "train"},
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("train: PYTHONHASHSEED is not set") and "Traceback" not in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_every_pipeline_that_writes_files_sets_the_hash_seed_before_python_starts() -> None:
    for path in sorted((REPO_ROOT / "pipelines").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        if "service" in spec:  # TensorBoard writes nothing
            continue
        assert spec["transform"].get("env", {}).get("PYTHONHASHSEED") == HASH_SEED, path.name


# -- the environment fingerprint and provenance ---------------------------------------------


def test_the_fingerprint_names_the_stack_without_importing_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "from steps.reproducibility.environment import fingerprint\n"
        "print(json.dumps({'fp': fingerprint(), 'tf': 'tensorflow' in sys.modules}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": "0",
           "TF_ENABLE_ONEDNN_OPTS": "0", "REPROML_IMAGE": "reproml/steps-cpu:0.1.0"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out)
    fp = result["fp"]
    assert result["tf"] is False
    assert fp["python"] == ".".join(map(str, sys.version_info[:3]))
    assert fp["tensorflow"] and fp["keras"] and fp["numpy"]
    assert fp["device"] in ("CPU", "GPU") and fp["hash_seed"] == "0" and fp["onednn"] == "0"
    assert fp["image"] == "reproml/steps-cpu:0.1.0" and fp["packages"].startswith("sha256:")
    build = environment.tensorflow_build(fp["tensorflow_distribution"])
    assert "is_cuda_build" in build
    if not build["is_cuda_build"]:
        assert fp["cuda"] is None and fp["device"] == "CPU"


def test_gpu_driver_and_names_are_read_from_the_driver(tmp_path: Path) -> None:
    proc = tmp_path / "nvidia"
    (proc / "gpus" / "0000:9a:00.0").mkdir(parents=True)
    (proc / "version").write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
        "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
    )
    (proc / "gpus" / "0000:9a:00.0" / "information").write_text(
        "Model: \t\t NVIDIA H200\nIRQ:   \t\t 17\nBus Location: \t 0000:9a:00.0\n"
    )
    assert environment.gpu_driver(proc) == "550.54.15"
    assert environment.gpu_names(proc) == ["NVIDIA H200"]
    assert environment.gpu_driver(tmp_path / "none") is None
    assert environment.gpu_names(tmp_path / "none") == []
    assert environment.compute_device({}, True, ["NVIDIA H200"]) == "GPU"
    assert environment.compute_device({"CUDA_VISIBLE_DEVICES": ""}, True, ["NVIDIA H200"]) == "CPU"
    assert environment.compute_device({}, False, ["NVIDIA H200"]) == "CPU"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 9654 96-Core Processor\n")
    assert environment.cpu_model(cpuinfo) == "AMD EPYC 9654 96-Core Processor"


def test_provenance_names_inputs_code_and_environment_but_no_job(tmp_path: Path) -> None:
    upstream = tmp_path / "model"
    upstream.mkdir()
    (upstream / "provenance.json").write_text(
        json.dumps({"steps": {"model": {"inputs": {"transform": "d" * 32}}}})
    )
    env = {"PPS_PIPELINE_NAME": "calibrate", "PPS_SPEC_COMMIT": "s" * 32, "model_COMMIT": "m" * 32,
           "transform_COMMIT": "d" * 32, "PYTHONHASHSEED": "0"}  # fmt: skip
    texts = []
    for job in ("1" * 32, "2" * 32):  # a re-run is another job
        out = tmp_path / f"out-{job[0]}"
        provenance.record(
            out, {"model": upstream, "transform": tmp_path}, {**env, "PACH_JOB_ID": job}
        )
        texts.append((out / "provenance.json").read_text())
    assert texts[0] == texts[1] and "1" * 32 not in texts[0]
    steps = json.loads(texts[0])["steps"]
    assert steps["calibrate"]["inputs"] == {"model": "m" * 32, "transform": "d" * 32}
    assert steps["calibrate"]["pipeline_version"] == "s" * 32
    assert steps["calibrate"]["code"] == provenance.code_digest()
    notebook = REPO_ROOT / "notebooks" / "evaluate.ipynb"
    assert provenance.code_digest([notebook]) not in (steps["calibrate"]["code"], None)
    assert steps["calibrate"]["environment"]["hash_seed"] == "0"
    assert provenance.commit_of(steps, "model", "transform") == "d" * 32  # what release reads
