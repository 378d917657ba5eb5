"""PACHLITE_PARALLEL_JOBS: jobs of different pipelines at once, each pipeline's in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from pachlite import Client
from pachlite.errors import InvalidArgument
from pachlite.model import JobState
from tests.support.pipelines import pfs, py, script, spec

# Each job sleeps, then writes its input upper-cased and logs "pipeline start end".
SLOW_UPPER = """
start = time.time(); time.sleep(0.8)
src = pathlib.Path(os.environ["in"])
out = pathlib.Path(os.environ["OUT"])
for f in sorted(p for p in src.rglob("*") if p.is_file()):
    (out / f.name).write_bytes(f.read_bytes().upper())
with open(os.environ["SPANS"], "a") as log:
    log.write(f"{os.environ['PPS_PIPELINE_NAME']} {start} {time.time()}\\n")
"""


def test_independent_pipelines_overlap_and_each_keeps_its_order(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACHLITE_PARALLEL_JOBS", "2")
    code = script(tmp_path, "slow_upper", SLOW_UPPER)
    spans = tmp_path / "spans"
    client.create_repo("in")
    client.put_file_bytes("in@master:/a.txt", b"one")
    for name, upstream in (("left", "in"), ("right", "in"), ("after", "left")):
        body = spec(name, py(code), pfs(upstream, glob="/", name="in"))
        body["transform"]["env"] = {"SPANS": str(spans), "OUT": "/pfs/out"}
        client.create_pipeline(body)
    client.put_file_bytes("in@master:/a.txt", b"two")  # a second commit set, before any run

    ran = client.run_pending()

    assert len(ran) == 6 and all(r.state == JobState.SUCCESS for r in ran), [
        (j.pipeline, j.reason) for j in client.list_job()
    ]
    by_pipeline: dict[str, list[tuple[float, float]]] = {}
    for line in spans.read_text().splitlines():
        name, start, end = line.split()
        by_pipeline.setdefault(name, []).append((float(start), float(end)))
    left, right = by_pipeline["left"], by_pipeline["right"]
    assert any(s1 < e2 and s2 < e1 for s1, e1 in left for s2, e2 in right), (
        "left and right share only their input: their jobs should run at the same time"
    )
    for name, runs in by_pipeline.items():
        assert len(runs) == 2 and runs[0][1] <= runs[1][0], f"{name}'s jobs overlapped"
    # Each pipeline's jobs ran in commit order, and every output has the provenance of its
    # own commit set (docs/semantics.md §5.2), as a one-at-a-time run gives.
    input_ids = [c.id for c in client.list_commit("in@master")]
    for name, upstream in (("left", "in"), ("right", "in"), ("after", "left")):
        jobs = client.list_job(pipeline=name)
        assert jobs[0].id == input_ids[0]  # the newest job: the second put's commit set
        assert jobs[1].finished is not None and jobs[0].started is not None
        assert jobs[1].finished <= jobs[0].started, f"{name} ran its newer job first"
        head = client.inspect_commit(f"{name}@master")
        assert head.direct_provenance == [f"{upstream}@{input_ids[0]}"]
        assert client.get_file(f"{name}@master:/a.txt") == b"TWO"
    assert client.fsck().ok


# One datum: its file upper-cased, after SLEEP seconds; logs "pipeline start end".
SLOW_DATUM = """
start = time.time(); time.sleep(float(os.environ["SLEEP"]))
for f in sorted(p for p in pathlib.Path(os.environ["in"]).parent.rglob("*") if p.is_file()):
    (pathlib.Path(os.environ["OUT"]) / f.name).write_bytes(f.read_bytes().upper())
with open(os.environ["SPANS"], "a") as log:
    log.write(f"{os.environ['PPS_PIPELINE_NAME']} {start} {time.time()}\\n")
"""


def _two_readers_of_one_input(root: Path, code: str, spans: Path) -> Client:
    """`train` (quick datums) and `tune` (slow ones) read the same `transform` commit, in one
    commit set: one job ID for both (docs/semantics.md §5.2)."""
    client = Client(root)
    client.create_repo("transform")
    for name, sleep in (("train", "0.02"), ("tune", "0.3")):
        body = spec(name, py(code), pfs("transform", glob="/*", name="in"), datumTries=1)
        body["transform"]["env"] = {"SPANS": str(spans), "SLEEP": sleep, "OUT": "/pfs/out"}
        client.create_pipeline(body)
    client.start_commit("transform@master")
    for i in range(6):
        client.put_file_bytes(f"transform@master:/f{i}.txt", f"file {i}".encode())
    client.finish_commit("transform@master")
    return client


def _outputs(client: Client, pipeline: str) -> dict[str, bytes]:
    return {
        f.path: client.get_file(f"{pipeline}@master:{f.path}")
        for f in client.list_file(f"{pipeline}@master:/")
    }


def test_two_pipelines_of_one_commit_set_run_together_as_one_at_a_time_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each job has its own scratch (`scratch/<project>/<pipeline>/<job ID>`): `train`
    ending (and removing its scratch) while `tune` still runs leaves `tune`'s datums alone."""
    code = script(tmp_path, "slow_datum", SLOW_DATUM)
    monkeypatch.setenv("PACHLITE_PARALLEL_JOBS", "1")
    with _two_readers_of_one_input(tmp_path / "serial", code, tmp_path / "serial-spans") as one:
        assert {r.state for r in one.run_pending()} == {JobState.SUCCESS}
        expected = {name: _outputs(one, name) for name in ("train", "tune")}
    monkeypatch.setenv("PACHLITE_PARALLEL_JOBS", "2")
    spans = tmp_path / "spans"
    with _two_readers_of_one_input(tmp_path / "store", code, spans) as client:
        ran = client.run_pending()

        assert {r.state for r in ran} == {JobState.SUCCESS}, [
            (j.pipeline, j.reason) for j in client.list_job()
        ]
        # The commit to transform: one commit set, its job ID that of both jobs.
        batch = client.inspect_commit("transform@master").id
        assert sorted(r.pipeline for r in ran if r.job_id == batch) == ["train", "tune"]
        window: dict[str, tuple[float, float]] = {}
        for line in spans.read_text().splitlines():
            name, start, end = line.split()
            low, high = window.get(name, (float(start), float(end)))
            window[name] = (min(low, float(start)), max(high, float(end)))
        (s1, e1), (s2, e2) = window["train"], window["tune"]
        assert s1 < e2 and s2 < e1, "train and tune of one commit set should run together"
        assert e1 < e2  # train ended, and removed its scratch, while tune still ran
        assert {name: _outputs(client, name) for name in ("train", "tune")} == expected
        assert expected["tune"]["/f5.txt"] == b"FILE 5"
        assert list((tmp_path / "store" / "scratch").rglob("*")) == [
            tmp_path / "store" / "scratch" / "default"  # each job's went, and its pipeline's
        ]
        assert client.fsck().ok


def test_a_bad_parallel_jobs_value_is_one_clear_error(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACHLITE_PARALLEL_JOBS", "two")
    with pytest.raises(InvalidArgument, match="PACHLITE_PARALLEL_JOBS is 'two'"):
        client.run_pending()
