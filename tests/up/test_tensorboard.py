"""pipelines/tensorboard.yaml under `pachlite up`: TensorBoard answers on the external port,
lists the model's and tune's runs, and follows a new model commit."""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from pachlite import Client
from tests.support.ports import free_port
from tests.support.repo import REPO_ROOT


def write_run(folder: Path, values: list[float]) -> None:
    """A real TensorBoard event file with a scalar per step, as Keras's callback writes."""
    writer = EventFileWriter(str(folder))
    for step, value in enumerate(values):
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="epoch_loss", simple_value=value)]
        )
        writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=summary))
    writer.close()


def runs(url: str, want: set[str], seconds: float = 90) -> set[str]:
    deadline, seen = time.monotonic() + seconds, set()
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/data/runs", timeout=5) as response:
                seen = set(json.loads(response.read()))
            if want <= seen:
                return seen
        except (OSError, http.client.HTTPException, ValueError):  # restarting on a new commit
            pass
        time.sleep(1)
    raise AssertionError(f"TensorBoard at {url} lists {sorted(seen)}, not {sorted(want)}")


@pytest.mark.slow
def test_tensorboard_service_lists_runs_and_follows_new_model_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    spec = yaml.safe_load((REPO_ROOT / "pipelines" / "tensorboard.yaml").read_text())
    internal, external = free_port(), free_port()
    spec["service"].update(internal_port=internal, external_port=external)
    spec["transform"]["env"].update(TENSORBOARD_HOST="127.0.0.1", TENSORBOARD_PORT=str(internal))
    logs = tmp_path / "logs"
    write_run(logs / "model" / "logs" / "model" / "train", [0.9, 0.5, 0.3])
    write_run(logs / "tune" / "logs" / "tune" / "trial_0", [1.0, 0.8])
    with Client(tmp_path / "store") as client:
        for repo in ("model", "tune"):
            client.create_repo(repo)
            client.put_file(f"{repo}@master:/logs", logs / repo / "logs", recursive=True)
        client.create_pipeline(spec, workdir=str(REPO_ROOT))
        stop = threading.Event()
        thread = threading.Thread(target=lambda: client.up(None, stop=stop))
        thread.start()
        try:
            url = f"http://127.0.0.1:{external}"
            first = runs(url, {"model/model/train", "tune/tune/trial_0"})
            assert "model/model/validation" not in first
            with urllib.request.urlopen(f"{url}/data/plugins_listing", timeout=5) as response:
                assert json.loads(response.read())["scalars"]["enabled"]
            # A new model commit: the service restarts on it and shows the new run.
            write_run(logs / "next" / "validation", [0.7, 0.6])
            client.put_file("model@master:/logs/model/validation", logs / "next" / "validation",
                            recursive=True)  # fmt: skip
            runs(url, {"model/model/train", "model/model/validation", "tune/tune/trial_0"})
            assert client.list_service()[0]["url"] == url
        finally:
            stop.set()
            thread.join(timeout=60)
        assert not thread.is_alive()
