"""Deterministic serialisation of the files Keras and TensorBoard write with clocks and ids in.

A step re-run on the same inputs in the same environment must write the same bytes. Training
is already deterministic (seeds and op determinism, steps.reproducibility.determinism); what is
not is how some formats are written:

- model.keras (a zip): Keras stamps `date_saved` in metadata.json and the zip entry of the
  weights with the current time, and numbers shared objects in config.json with their Python
  `id()`, a memory address. `seal_keras_archive` rewrites the archive with the fixed time and
  the ids renumbered 1, 2, ... in order of appearance (they only link the configs that share
  an object, so loading gives the same model).
- the SavedModel: TensorFlow lists the variables a traced function reads from a set ordered by
  memory address, and Keras's export writes them in that order, so the object graph, the
  graph and the checkpoint come out permuted. `export_saved_model` puts them in name order
  before writing.
- TensorBoard event files: the name carries the time, host name and process ID, every event
  its wall time, and the hparams records of keras-tuner their start time. `seal_event_files`
  rewrites every event with the fixed time and names the files
  `events.out.tfevents.<time>.reproml.<n>.v2`, n counting the files of a folder in the order
  they were written, so TensorBoard reads them in the same order.
- a papermill notebook: papermill and nbclient record start and end times and durations, and
  the injected parameters cell gets a random id. `seal_notebook` drops the times and names
  that cell `injected-parameters`.

The fixed time is SOURCE_DATE_EPOCH when the environment sets it (the reproducible-builds
convention), else 1980-01-01T00:00:00Z: the earliest time a zip entry can hold, and a date no
one mistakes for when the model was trained. It is part of the environment, like the seed.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import struct
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z
EVENT_FILE = re.compile(r"^events\.out\.tfevents\.(\d+)\.(.*)\.(\d+)\.(\d+)(\.v2)?$")


def fixed_time(env: Mapping[str, str] | None = None) -> int:
    """Seconds since the epoch to write wherever a format wants a time."""
    env = os.environ if env is None else env
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    if not value.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH is {value!r}: give whole seconds since 1970")
    return max(int(value), DEFAULT_EPOCH)  # a zip cannot hold an earlier time


def utc(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


# -- model.keras ---------------------------------------------------------------------------


def renumber_shared_objects(config: Any, numbers: dict[int, int] | None = None) -> Any:
    """The config with every `shared_object_id` (an id()) replaced by its order of appearance."""
    numbers = {} if numbers is None else numbers
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "shared_object_id" and isinstance(value, int):
                out[key] = numbers.setdefault(value, len(numbers) + 1)
            else:
                out[key] = renumber_shared_objects(value, numbers)
        return out
    if isinstance(config, list):
        return [renumber_shared_objects(v, numbers) for v in config]
    return config


def sealed_entry(name: str, data: bytes, seconds: int) -> bytes:
    if name == "metadata.json":
        metadata = json.loads(data)
        if "date_saved" in metadata:  # Keras's own format for it
            metadata["date_saved"] = utc(seconds).strftime("%Y-%m-%d@%H:%M:%S")
        return json.dumps(metadata).encode()
    if name == "config.json":
        return json.dumps(renumber_shared_objects(json.loads(data))).encode()
    return data


def seal_keras_archive(path: Path, seconds: int | None = None) -> None:
    """Rewrite a .keras archive so that equal models give equal bytes (see the module doc)."""
    seconds = fixed_time() if seconds is None else seconds
    stamp = utc(seconds).timetuple()[:6]
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w") as target:
        for info, data in entries:
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = info.compress_type
            entry.external_attr = 0o644 << 16
            entry.create_system = 3  # Unix, wherever it was written
            target.writestr(entry, sealed_entry(info.filename, data, seconds))
    partial.replace(path)


def save_model(model: Any, path: Path) -> None:
    """model.save, then the archive sealed: the same model always gives the same file."""
    model.save(path)
    seal_keras_archive(path)


# -- SavedModel ----------------------------------------------------------------------------


def export_saved_model(model: Any, path: Path) -> None:
    """What model.export(path) writes (a `serve` endpoint on the model's call), with the
    variables of every traced function in name order, so equal models give equal files."""
    import keras

    archive = keras.export.ExportArchive()
    # What Keras's export derives for a single-input functional model (batch left open).
    signature = [
        keras.InputSpec(shape=(None, *t.shape[1:]), dtype=t.dtype, name=t.name)
        for t in model.inputs
    ]
    endpoint = archive.track_and_add_endpoint("serve", model, signature)
    function = endpoint.get_concrete_function()
    # FuncGraph.variables comes from an identity set (iteration order: memory addresses).
    function.graph.variables = sorted(function.graph.variables, key=lambda v: v.name)
    archive.write_out(str(path), verbose=False)


# -- notebooks -----------------------------------------------------------------------------

TIMES = ("start_time", "end_time", "duration")


def seal_notebook(nb: Any, input_path: str) -> Any:
    """An executed papermill notebook without its clocks and random ids (changed in place)."""
    papermill = nb.metadata.get("papermill", {})
    for key in TIMES:
        papermill.pop(key, None)
    papermill["input_path"] = input_path
    papermill["output_path"] = None
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # nbclient's timings
        for key in TIMES:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    return nb


# -- TensorBoard event files ---------------------------------------------------------------


def masked_crc(data: bytes) -> int:
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    return int(masked_crc32c(data))


def read_records(data: bytes) -> Iterator[bytes]:
    """The payloads of a TFRecord file (length, its CRC, payload, its CRC)."""
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError("truncated TFRecord header")
        (length,) = struct.unpack("<Q", data[offset : offset + 8])
        start = offset + 12
        end = start + length
        if end + 4 > len(data):
            raise ValueError("truncated TFRecord payload")
        yield data[start:end]
        offset = end + 4


def record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return (
        header
        + struct.pack("<I", masked_crc(header))
        + payload
        + struct.pack("<I", masked_crc(payload))
    )


def seal_event(payload: bytes, seconds: int) -> bytes:
    """One Event with its wall time, and any hparams session times, set to `seconds`."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import plugin_data_pb2

    event = event_pb2.Event.FromString(payload)
    event.wall_time = float(seconds)
    for value in event.summary.value:
        plugin = value.metadata.plugin_data
        if plugin.plugin_name != "hparams" or not plugin.content:
            continue
        data = plugin_data_pb2.HParamsPluginData.FromString(plugin.content)
        if data.HasField("session_start_info"):
            data.session_start_info.start_time_secs = float(seconds)
        if data.HasField("session_end_info"):
            data.session_end_info.end_time_secs = float(seconds)
        if data.HasField("experiment"):
            data.experiment.time_created_secs = float(seconds)
        plugin.content = data.SerializeToString(deterministic=True)
    return event.SerializeToString(deterministic=True)


def event_files(folder: Path) -> list[Path]:
    """A folder's event files in the order they were written (time, then the writer's count)."""
    found = []
    for path in folder.iterdir():
        match = EVENT_FILE.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), int(match.group(4)), path.name, path))
    return [entry[-1] for entry in sorted(found)]


def seal_event_files(log_dir: Path, seconds: int | None = None) -> None:
    """Rewrite every event file under log_dir deterministically (see the module doc)."""
    seconds = fixed_time() if seconds is None else seconds
    if not log_dir.is_dir():
        return
    folders = [log_dir, *sorted(p for p in log_dir.rglob("*") if p.is_dir())]
    for folder in folders:
        done = len(list(folder.glob(f"events.out.tfevents.{seconds}.reproml.*.v2")))
        for index, path in enumerate(event_files(folder), start=done):
            sealed = b"".join(
                record(seal_event(p, seconds)) for p in read_records(path.read_bytes())
            )
            target = folder / f"events.out.tfevents.{seconds}.reproml.{index}.v2"
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(sealed)
            path.unlink()
            partial.replace(target)
