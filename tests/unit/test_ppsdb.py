"""PPS state comes out of storage typed: pipelines, jobs, datums and log lines as records."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from pachlite import Client
from pachlite.model import DatumState, JobState
from pachlite.ppsdb import datums, jobs, logs, pipelines
from pachlite.ppsdb.records import PipelineRecord

# /pfs in a script's own source is not rewritten, so it takes its paths from the env.
SHOUT = """
import os
for name in sorted(os.listdir(os.environ["IN"])):
    text = open(os.path.join(os.environ["IN"], name)).read()
    print("shouting", name)
    open(os.path.join(os.environ["OUT"], name), "w").write(text.upper())
"""


def shout(client: Client, tmp_path: Path) -> None:
    script = tmp_path / "shout.py"
    script.write_text(SHOUT)
    client.create_repo("in")
    client.put_file_bytes("in@master:/a.txt", b"a")
    client.create_pipeline(
        {
            "pipeline": {"name": "shout"},
            "transform": {
                "cmd": [sys.executable, str(script)],
                "env": {"IN": "/pfs/in", "OUT": "/pfs/out"},
            },
            "input": {"pfs": {"repo": "in", "glob": "/*"}},
        }
    )
    client.run_pending()


def test_a_pipeline_comes_back_at_its_current_version_with_its_specs_parsed(
    tmp_path: Path,
) -> None:
    with Client(tmp_path / "store") as client:
        shout(client, tmp_path)
        found = pipelines.get(client.store.db, "shout")
        assert isinstance(found, PipelineRecord)
        assert found.version == 1 and not found.stopped and found.output_branch == "master"
        assert found.user_spec["pipeline"] == {"name": "shout"}
        stored = json.dumps(found.effective_spec, sort_keys=True)
        assert found.spec_hash == hashlib.sha256(stored.encode()).hexdigest()
        assert pipelines.get(client.store.db, "nothing") is None
        assert [p.name for p in pipelines.current(client.store.db)] == ["shout"]


def test_a_job_its_datums_and_its_log_lines_come_back_typed(tmp_path: Path) -> None:
    with Client(tmp_path / "store") as client:
        shout(client, tmp_path)
        db = client.store.db
        [listed] = jobs.listing(db, pipeline="shout")
        assert listed.pipeline == "shout" and listed.job.state is JobState.SUCCESS
        assert (listed.job.data_total, listed.job.data_processed) == (1, 1)
        assert listed.job.forced == ()
        [datum] = datums.of_job(db, listed.job.id)
        assert datum.state is DatumState.SUCCESS and datum.outputs == ("/a.txt",)
        assert datums.find(db, listed.job.id, datum.datum_id[:6]) == datum
        lines = logs.page(db, pipeline="shout", job_id=None, datum_prefix=None, after=0, limit=10)
        assert [(r.job_id, r.stream, r.line) for r in lines] == [
            (listed.job.job_id, "stdout", "shouting a.txt")
        ]
        made = jobs.of_output_commit(db, "shout", listed.job.job_id)
        assert made is not None and made.job.id == listed.job.id
        assert jobs.of_output_commit(db, "in", listed.job.job_id) is None
