"""A job with more datums than it holds in memory: the plan's datums spill to disk
(worker/spool.py) and the pool takes a bounded window of them at a time (worker/jobs.py).
The thresholds are lowered here so a dozen datums cross them."""

from __future__ import annotations

import pytest

from pachlite import Client
from pachlite.model import DatumState, JobState
from pachlite.worker import jobs, spool
from tests.support.pipelines import pfs, spec


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "IN_MEMORY", 3)
    monkeypatch.setattr(spool, "BATCH", 2)
    monkeypatch.setattr(jobs, "WINDOW", 2)


@pytest.mark.usefixtures("small_limits")
def test_a_job_past_the_spool_and_window_runs_every_datum_once(client: Client) -> None:
    client.create_repo("many")
    with client.commit("many@master") as commit:
        for i in range(12):
            client.put_file_bytes(f"many@{commit.id}:/f{i:02d}", f"datum {i}\n".encode())
    body = spec("copy", ["sh", "-c", "cp -r /pfs/many/. /pfs/out/"], pfs("many"))
    body["parallelism_spec"] = {"constant": 2}
    client.create_pipeline(body)

    (first,) = client.run_pending()

    assert first.state == JobState.SUCCESS, client.inspect_job(f"copy@{first.job_id}").reason
    names = sorted(f.path for f in client.list_file("copy@master:/"))
    assert names == [f"/f{i:02d}" for i in range(12)]
    assert client.get_file("copy@master:/f11") == b"datum 11\n"
    datums = client.list_datum(f"copy@{first.job_id}")
    assert len(datums) == 12 and {d.state for d in datums} == {DatumState.SUCCESS}

    client.put_file_bytes("many@master:/f03", b"changed\n")
    (second,) = client.run_pending()

    job = client.inspect_job(f"copy@{second.job_id}")
    assert (job.data_processed, job.data_skipped, job.data_total) == (1, 11, 12)
    assert client.get_file("copy@master:/f03") == b"changed\n"
    assert client.get_file("copy@master:/f04") == b"datum 4\n"


@pytest.mark.usefixtures("small_limits")
def test_a_failed_datum_past_the_window_fails_the_job_and_merges_nothing(client: Client) -> None:
    client.create_repo("many")
    with client.commit("many@master") as commit:
        for i in range(9):
            client.put_file_bytes(f"many@{commit.id}:/f{i}", b"bad\n" if i == 7 else b"ok\n")
    cmd = ["sh", "-c", "grep -q ok /pfs/many/* && cp -r /pfs/many/. /pfs/out/"]
    client.create_pipeline(spec("copy", cmd, pfs("many")))

    (job,) = client.run_pending()

    assert job.state == JobState.FAILURE
    assert "failed" in (client.inspect_job(f"copy@{job.job_id}").reason or "")
    states = [d.state for d in client.list_datum(f"copy@{job.job_id}")]
    assert states.count(DatumState.FAILED) == 1 and len(states) == 9
    assert list(client.list_file("copy@master:/")) == []
