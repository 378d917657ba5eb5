"""warehouse and stream on batches holding every kind of bad sample and hostile member.

Every member is used or listed in rejects.json with its reason, and the counts are the same
whichever way a batch arrives: a folder, a tar or zip in it, an archive as the batch, or the
stream spout (from a folder or over HTTP), whose refusals reach the same list.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pachlite import Client
from steps.data.oxford import jpeg_bytes, png_bytes, synthetic_sample
from steps.data.rejects import FIELDS
from steps.warehouse import main, process_batch
from tests.support.repo import REPO_ROOT
from tests.support.steps.batches import (
    MIXED_SUMMARY,
    bad_batch,
    entries,
    mixed_files,
    run_stream,
    serve_folder,
    write_tar,
    write_tree,
    write_zip,
    zip_member,
)
from tests.support.steps.catalogues import FOLDER_CASES, IGNORED_REASONS, REASONS, ZIP_CASES

VENV_BIN = str(Path(sys.executable).parent)
DEPTH = 1100  # folders deeper than Python's recursion limit


def by_outcome(rows: list[dict[str, object]], outcome: str) -> str:
    return " | ".join(f"{r['members']}: {r['reason']}" for r in rows if r["outcome"] == outcome)


def reasons(rows: list[dict[str, object]]) -> list[tuple[str, str]]:
    """(outcome, reason) of each entry, without the paths a reason quotes: route-independent."""
    return sorted((str(r["outcome"]), re.sub(r" \(.*\)", "", str(r["reason"]))) for r in rows)


def stream_files(client: Client, batch: str) -> set[str]:
    return {path for path, _, _ in client.walk_file(f"stream@master:/{batch}/")}


def test_every_bad_sample_kind_is_repaired_or_rejected_with_its_reason(tmp_path: Path) -> None:
    batch = bad_batch(tmp_path / "in")
    out = tmp_path / "out" / batch.name
    summary = process_batch(batch, out)
    rows = entries(out)
    rejected, ignored = by_outcome(rows, "rejected"), by_outcome(rows, "ignored")
    assert summary == {"kept": 5, "repaired": 4, "rejected": 18, "ignored": 5}, (rejected, ignored)
    assert json.loads((out / "summary.json").read_text()) == summary
    for needle in REASONS:
        assert needle in rejected, needle
    for needle in IGNORED_REASONS:
        assert needle in ignored, needle
    assert all(tuple(r) == FIELDS and r["stage"] == "warehouse" for r in rows)
    samples = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(samples) == 5
    for sample in samples:
        with Image.open(out / sample / "image.jpg") as image:
            assert image.format == "JPEG" and image.mode == "RGB" and image.size == (64, 64)
        with Image.open(out / sample / "mask.png") as mask_file:
            mask = np.asarray(mask_file)
        assert set(np.unique(mask)) <= {1, 2, 3}
        meta = json.loads((out / sample / "metadata.json").read_text())
        assert meta["id"] == sample and 1 <= meta["class_id"] <= 37
    repairs = [json.loads((out / s / "metadata.json").read_text())["repairs"] for s in samples]
    assert sum(bool(r) for r in repairs) == 4
    assert not (tmp_path / "escape.jpg").exists() and not Path("/etc/evil.jpg").exists()
    # Nothing dropped silently: a member not listed is exactly one of a kept sample.
    with tarfile.open(batch / "pets.tar.gz") as tar:
        members = {f"pets.tar.gz:{m.name}" for m in tar if not m.isdir()}
    used = {"pets.tar.gz:oxford/annotations/list.txt"}
    for sample in samples:
        used |= {f"pets.tar.gz:oxford/images/{sample}.jpg"}
        used |= {f"pets.tar.gz:oxford/annotations/trimaps/{sample}.png"}
    listed = {m for r in rows for m in r["members"]}  # type: ignore[attr-defined]
    assert members - listed == used and "damaged.tar.gz" in listed


def test_the_streams_refusals_reach_warehouse_in_the_batch_they_belong_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = bad_batch(tmp_path / "in")
    direct = process_batch(source, tmp_path / "direct" / source.name)
    direct_rows = entries(tmp_path / "direct" / source.name)
    root = tmp_path / "store"
    with Client(root) as client:
        client.create_repo("stream")
        client.create_repo("pets")
    out = run_stream(root, "--source", str(source), "--samples", "100", "--batch-size", "5")
    assert out.count("emitted") == 3 and "members not used: refused.json" in out, out
    monkeypatch.setenv("PATH", VENV_BIN + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    with Client(root) as client:
        client.create_pipeline(REPO_ROOT / "pipelines" / "warehouse.yaml")
        client.run_pending()
        batches = [f"batch-000{i}" for i in (1, 2, 3)]
        summaries = [
            json.loads(client.get_file(f"warehouse@master:/{b}/summary.json")) for b in batches
        ]
        rows = {
            b: json.loads(client.get_file(f"warehouse@master:/{b}/rejects.json")) for b in batches
        }
        refused = json.loads(client.get_file("stream@master:/batch-0001/refused.json"))
        first = synthetic_sample(1, 0, size=64).name
        home = next(b for b in batches if f"/{b}/images/{first}.jpg" in stream_files(client, b))
    # The same counts and reasons as the folder committed as one batch.
    assert {k: sum(s[k] for s in summaries) for k in direct} == direct
    every = [r for b in batches for r in rows[b]]
    assert reasons(every) == reasons(direct_rows)
    # The spout's entries are in its batch's commit, and warehouse kept them as they were.
    assert refused == [r for r in rows["batch-0001"] if r["stage"] == "stream"]
    from_stream = {m for r in every if r["stage"] == "stream" for m in r["members"]}
    hostile = ("/etc/evil.jpg", "../../escape.jpg", "link.jpg", "hard.jpg", "dev.jpg", "fifo.jpg")
    for name in hostile:
        where = name if name.startswith(("/", "..")) else f"oxford/images/{name}"
        assert f"pets.tar.gz:{where}" in from_stream, name
    assert "damaged.tar.gz" in from_stream
    # An AppleDouble file goes with the batch of the sample it is named after.
    assert any(f"._{first}.jpg" in m for r in rows[home] for m in r["members"])


def test_every_route_lists_and_counts_the_same(tmp_path: Path) -> None:
    files = mixed_files()
    folder = write_tree(tmp_path / "folder" / "batch", files)
    with_tar = write_tar(tmp_path / "tar" / "batch" / "pets.tar.gz", files, "oxford/").parent
    with_zip = write_zip(tmp_path / "zip" / "batch" / "pets.zip", files, "pets/").parent
    routes: dict[str, Path] = {
        "folder": folder,
        "tar in a folder": with_tar,
        "zip in a folder": with_zip,
        "tar as the batch": write_tar(tmp_path / "archives" / "batch.tar.gz", files),
        "zip as the batch": write_zip(tmp_path / "archives" / "batch.zip", files),
    }
    with serve_folder(tmp_path / "archives") as url:
        streams = {
            "stream from a folder": str(folder),
            "stream from a folder with a tar": str(with_tar),
            "stream from a tar over HTTP": f"{url}/batch.tar.gz",
            "stream from a zip over HTTP": f"{url}/batch.zip",
        }
        for i, (name, source) in enumerate(streams.items()):
            root = tmp_path / f"store{i}"
            with Client(root) as client:
                client.create_repo("stream")
            run_stream(root, "--source", source, "--samples", "100", "--batch-size", "100")
            with Client(root) as client:
                local = tmp_path / f"stream{i}" / "batch-0001"
                client.get_file_to("stream@master:/batch-0001", local, recursive=True)
            routes[name] = local
    results = {}
    for name, batch in routes.items():
        out = tmp_path / "out" / name.replace(" ", "-")
        assert main(["--input", str(batch), "--output", str(out)]) == 0, name
        results[name] = (json.loads((out / batch.name / "summary.json").read_text()),
                         entries(out / batch.name))  # fmt: skip
    for name, (summary, rows) in results.items():
        assert summary == MIXED_SUMMARY, (name, summary, rows)
        assert reasons(rows) == reasons(results["folder"][1]), name
        stages = {r["stage"] for r in rows if r["sample"] is None}
        assert stages == ({"stream"} if name.startswith("stream") else {"warehouse"}), name


def test_hostile_zip_members_are_rejected_with_their_reasons(tmp_path: Path) -> None:
    batch = tmp_path / "batch-zip"
    batch.mkdir()
    sample = synthetic_sample(2, 0, size=32)
    with zipfile.ZipFile(batch / "pets.zip", "w") as archive:
        archive.writestr(f"images/{sample.name}.jpg", jpeg_bytes(sample.image))
        archive.writestr(f"annotations/trimaps/{sample.name}.png", png_bytes(sample.trimap))
        for name in (
            "/abs.jpg",
            "C:/windows/abs.jpg",
            "../escape.jpg",
            "images\\..\\..\\escape.jpg",
        ):
            archive.writestr(zipfile.ZipInfo(name), b"outside")
        zip_member(archive, "images/link.jpg", b"/etc/passwd", mode=0o120777)
        zip_member(archive, "images/dev.jpg", b"", mode=0o020644)
        zip_member(archive, "images/fifo.jpg", b"", mode=0o010644)
        zip_member(archive, "images/secret.jpg", b"ciphertext", flags=0x1)
        archive.writestr("images/crc.jpg", b"A" * 100)  # stored: its bytes are in the file
    whole = (batch / "pets.zip").read_bytes()
    (batch / "pets.zip").write_bytes(whole.replace(b"A" * 100, b"B" * 100))
    (batch / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "out" / batch.name
    summary = process_batch(batch, out)
    rows = {r["members"][0]: r for r in entries(out)}  # type: ignore[index]
    assert summary == {"kept": 1, "repaired": 0, "rejected": len(ZIP_CASES), "ignored": 0}, rows
    for member, needle in ZIP_CASES.items():
        assert rows[member]["outcome"] == "rejected" and needle in str(rows[member]["reason"]), (
            member,
            rows.get(member),
        )
    assert not (tmp_path / "escape.jpg").exists() and not Path("/abs.jpg").exists()


def test_hostile_folder_members_are_rejected_and_hard_links_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = synthetic_sample(3, 0, size=32)
    outside = tmp_path / "objects"  # as pachlite links /pfs files to its object store
    outside.mkdir()
    (outside / "image").write_bytes(jpeg_bytes(sample.image))
    batch = write_tree(
        tmp_path / "batch-folder",
        {f"annotations/trimaps/{sample.name}.png": png_bytes(sample.trimap), "refused.json": b"{"},
    )
    (batch / "images").mkdir()
    os.link(outside / "image", batch / "images" / f"{sample.name}.jpg")
    (batch / "images" / "link.jpg").symlink_to("/etc/passwd")
    (batch / "photos").symlink_to("/etc")
    os.mkfifo(batch / "images" / "fifo.jpg")
    monkeypatch.chdir(batch / "images")  # a socket's path is short: bind it where it lives
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("socket.jpg")
    deep = batch
    for _ in range(DEPTH):  # one level at a time: pathlib's mkdir(parents=True) recurses
        deep = deep / "d"
        deep.mkdir()
    (deep / "notes.txt").write_bytes(b"far down")
    out = tmp_path / "out" / batch.name
    try:
        summary = process_batch(batch, out)
    finally:  # bottom up, for the same reason (shutil.rmtree recurses too)
        (deep / "notes.txt").unlink()
        for _ in range(DEPTH):
            deep.rmdir()
            deep = deep.parent
    rows = {r["members"][0]: r for r in entries(out)}  # type: ignore[index]
    assert summary == {"kept": 1, "repaired": 0, "rejected": len(FOLDER_CASES), "ignored": 1}
    for member, needle in FOLDER_CASES.items():
        assert rows[member]["outcome"] == "rejected" and needle in str(rows[member]["reason"])
    assert rows["/".join(["d"] * DEPTH) + "/notes.txt"]["outcome"] == "ignored"
    assert (out / sample.name / "image.jpg").exists()


def test_a_source_without_samples_still_says_why(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "src", {"images/._x.jpg": b"\x00\x05\x16\x07"})
    (source / "images" / "link.jpg").symlink_to("/etc/passwd")
    root = tmp_path / "store"
    with Client(root) as client:
        client.create_repo("stream")
    assert "emitted batch-0001" in run_stream(root, "--source", str(source))
    with Client(root) as client:
        client.get_file_to(
            "stream@master:/batch-0001", tmp_path / "b" / "batch-0001", recursive=True
        )
    summary = process_batch(tmp_path / "b" / "batch-0001", tmp_path / "out")
    assert summary == {"kept": 0, "repaired": 0, "rejected": 1, "ignored": 1}


def test_a_plain_folder_batch_and_the_command_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    batch = tmp_path / "batch-001"
    (batch / "images").mkdir(parents=True)
    (batch / "annotations" / "trimaps").mkdir(parents=True)
    for i in range(3):
        sample = synthetic_sample(5, i)
        (batch / "images" / f"{sample.name}.jpg").write_bytes(jpeg_bytes(sample.image))
        (batch / "annotations" / "trimaps" / f"{sample.name}.png").write_bytes(
            png_bytes(sample.trimap)
        )
    assert main(["--input", str(batch), "--output", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "batch-001" / "summary.json").read_text())
    assert summary == {"kept": 3, "repaired": 0, "rejected": 0, "ignored": 0}
    assert json.loads((tmp_path / "out" / "batch-001" / "rejects.json").read_text()) == []
    assert main(["--input", str(tmp_path / "nope"), "--output", str(tmp_path / "out")]) == 2
    (tmp_path / "notes.txt").write_text("not a batch")
    assert main(["--input", str(tmp_path / "notes.txt"), "--output", str(tmp_path / "out")]) == 2
    assert "is not a batch folder or archive" in capsys.readouterr().err
