"""stream and transform as programs, and the first three pipelines under `pachlite up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from pachlite import Client
from steps.data.oxford import batch_files, synthetic_sample
from steps.transform import SPLITS, parse_fractions, split_of
from tests.support.repo import REPO_ROOT
from tests.support.steps.batches import run_stream, serve_folder, write_tar

VENV_BIN = str(Path(sys.executable).parent)


def test_synthetic_stream_emits_batches_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Client(root) as client:
        client.create_repo("stream")
    out = run_stream(
        root, "--source", "synthetic:seed=3,size=32", "--samples", "10", "--batch-size", "4"
    )
    assert out.count("emitted") == 3
    again = run_stream(
        root, "--source", "synthetic:seed=3,size=32", "--samples", "10", "--batch-size", "4"
    )
    assert again.count("already in the repo") == 3 and "emitted" not in again
    with Client(root) as client:
        commits = client.list_commit("stream")
        assert len(commits) == 3
        listed = client.get_file("stream@master:/batch-0003/annotations/list.txt").decode()
        assert len([x for x in listed.splitlines() if not x.startswith("#")]) == 2
        first = synthetic_sample(3, 0, 32)
        assert client.inspect_file(f"stream@master:/batch-0001/images/{first.name}.jpg")


@pytest.fixture
def archive_server(tmp_path: Path) -> Iterator[str]:
    files = batch_files([synthetic_sample(9, i, 32) for i in range(5)])
    for kind in ("images", "annotations"):
        members = {path: data for path, data in files.items() if path.startswith(kind)}
        write_tar(tmp_path / f"{kind}.tar.gz", members)
    with serve_folder(tmp_path) as url:
        yield url


def test_stream_reads_the_published_archive_layout_over_http(
    tmp_path: Path, archive_server: str
) -> None:
    root = tmp_path / "store"
    with Client(root) as client:
        client.create_repo("stream")
    source = f"{archive_server}/images.tar.gz,{archive_server}/annotations.tar.gz"
    out = run_stream(root, "--source", source, "--samples", "5", "--batch-size", "3")
    assert out.count("emitted") == 2
    with Client(root) as client:
        names = [p for p, _, _ in client.walk_file("stream@master:/batch-0002/")]
        assert sum(p.endswith(".jpg") for p in names) == 2
        assert sum(p.endswith(".png") for p in names) == 2


def test_split_is_deterministic_and_follows_the_fractions() -> None:
    fractions = parse_fractions("0.7,0.1,0.1,0.1")
    ids = [f"Bengal_{i}" for i in range(4000)]
    splits = [split_of(i, fractions) for i in ids]
    assert splits == [split_of(i, fractions) for i in ids]
    shares = {s: splits.count(s) / len(ids) for s in SPLITS}
    assert abs(shares["train"] - 0.7) < 0.03 and abs(shares["test"] - 0.1) < 0.03
    with pytest.raises(ValueError, match="summing to 1"):
        parse_fractions("0.5,0.5,0.5,0")


def write_specs(folder: Path, samples: int, batch: int) -> None:
    folder.mkdir()
    for spec_file in ("stream.yaml", "warehouse.yaml", "transform.yaml"):
        spec = yaml.safe_load((REPO_ROOT / "pipelines" / spec_file).read_text())
        if spec_file == "stream.yaml":
            spec["transform"]["env"].update(
                STREAM_SOURCE="synthetic:seed=11,size=48",
                STREAM_SAMPLES=str(samples),
                STREAM_BATCH=str(batch),
            )
        (folder / spec_file).write_text(yaml.safe_dump(spec))


@pytest.mark.slow
def test_stream_warehouse_transform_under_up_and_a_committed_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_specs(tmp_path / "pipelines", samples=40, batch=20)
    env = {
        **os.environ,
        "PACHLITE_ROOT": str(tmp_path / "store"),
        "PATH": VENV_BIN + os.pathsep + os.environ["PATH"],
        "PYTHONPATH": str(REPO_ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "pachlite", "up", "--until-idle", "-f", str(tmp_path / "pipelines")],
        env=env,
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    with Client(tmp_path / "store") as client:
        summary = json.loads(client.get_file("warehouse@master:/batch-0002/summary.json"))
        assert summary == {"kept": 20, "repaired": 0, "rejected": 0, "ignored": 0}
        shards = [p for p, _, _ in client.walk_file("transform@master:/")]
        assert {p.split("/")[1] for p in shards} <= set(SPLITS)
        local = tmp_path / "train.npz"
        client.get_file_to("transform@master:/train/batch-0001.npz", local)
        with np.load(local) as shard:
            assert shard["images"].shape[1:] == (64, 64, 3) and shard["images"].max() <= 1.0
            assert set(np.unique(shard["masks"])) <= {0, 1, 2}
        # A batch committed by a person flows the same way, and only it is processed.
        batch = tmp_path / "mine"
        for path, data in batch_files([synthetic_sample(99, i, 48) for i in range(6)]).items():
            (batch / path).parent.mkdir(parents=True, exist_ok=True)
            (batch / path).write_bytes(data)
        client.put_file("pets@master:/my-batch", batch, recursive=True)
        monkeypatch.setenv("PATH", env["PATH"])  # the steps run with the project's python3
        client.run_pending()
        for pipeline in ("warehouse", "transform"):
            job = client.list_job(pipeline=pipeline)[0]
            assert (job.data_processed, job.data_skipped) == (1, 2), (pipeline, job)
