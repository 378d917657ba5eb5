"""A resumable spout and the three-pipeline DAG it feeds (stream -> shout -> joined), used by
the `pachlite up` tests and by the reliability harness that kills `up` mid-run."""

from __future__ import annotations

import sys
from pathlib import Path

EMIT_TEMPLATE = """
import sys
from pachlite.spout import connect
out = connect()
for i in range(BATCHES):
    path = f"/batch{i}.txt"
    if out.exists(path):
        continue
    with out.commit(f"batch {i}"):
        out.put_bytes(path, f"data {i}\\n".encode())
    print("emitted", path, flush=True)
"""


def emit_script(batches: int = 3) -> str:
    """A spout that commits `batches` files, one commit each, and resumes where it stopped."""
    return EMIT_TEMPLATE.replace("BATCHES", str(batches))


EMIT = emit_script()


def write_dag(folder: Path, emit: str = EMIT) -> None:
    (folder / "emit.py").write_text(emit)
    (folder / "pipelines").mkdir(exist_ok=True)
    (folder / "pipelines" / "dag.yaml").write_text(f"""
pipeline: {{name: stream}}
spout: {{}}
transform: {{cmd: [{sys.executable}, emit.py]}}
---
pipeline: {{name: shout}}
transform: {{cmd: [sh, -c, "tr a-z A-Z < $stream > /pfs/out/$(basename $stream)"]}}
input: {{pfs: {{repo: stream, glob: "/*"}}}}
---
pipeline: {{name: joined}}
transform: {{cmd: [sh, -c, "cat /pfs/shout/* > /pfs/out/all"]}}
input: {{pfs: {{repo: shout, glob: "/"}}}}
""")
