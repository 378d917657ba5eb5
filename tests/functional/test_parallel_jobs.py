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
    # own commit set (docs/semantics.md §5.2), as a one-at-a-time run gives. Two jobs of one
    # commit set never ran at once (they would share their datums' scratch folders).
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


def test_a_bad_parallel_jobs_value_is_one_clear_error(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACHLITE_PARALLEL_JOBS", "two")
    with pytest.raises(InvalidArgument, match="PACHLITE_PARALLEL_JOBS is 'two'"):
        client.run_pending()
