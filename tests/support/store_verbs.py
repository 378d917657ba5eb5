"""Every `pachlite` verb that only reads a store, and the writes a read-only store refuses,
as data: tests/reliability/test_environment.py runs them, bench/reliability.py counts the
writes for docs/reliability.md.
"""

from __future__ import annotations

SPEC = """pipeline: {name: upper}
input: {pfs: {repo: data, glob: /*}}
transform: {cmd: [sh, -c, 'echo processing; tr a-z A-Z < $data > /pfs/out/$(basename $data)']}
"""

# Every verb that only reads, with what its output must show.
READS = [
    (("list", "repo"), "data"),
    (("inspect", "repo", "data"), "data"),
    (("list", "branch", "data"), "master"),
    (("list", "commit", "data"), "data"),
    (("inspect", "commit", "data@master", "--full"), "data@"),
    (("list", "file", "data@master:/"), "/a.txt"),
    (("glob", "file", "data@master:/*.txt"), "/b.txt"),
    (("diff", "file", "data@master"), "/b.txt"),
    (("inspect", "file", "data@master:/a.txt"), "/a.txt"),
    (("get", "file", "data@master:/a.txt"), "alpha"),
    (("get", "file", "upper@master:/a.txt"), "ALPHA"),
    (("list", "pipeline"), "upper"),
    (("inspect", "pipeline", "upper"), "upper"),
    (("list", "job"), "JOB_SUCCESS"),
    (("list", "job", "-p", "upper"), "JOB_SUCCESS"),
    (("logs", "-p", "upper"), "processing"),
    (("list", "service"), ""),
    (("wait", "commit", "data@master"), ""),
    (("draw", "pipeline"), "upper"),
    (("draw", "commit", "upper@master"), "upper@"),
    (("fsck",), ": ok"),
]
WRITES = [
    (("create", "repo", "more"), None),
    (("put", "file", "data@master:/c.txt"), b"c"),
    (("delete", "file", "data@master:/a.txt"), None),
    (("create", "branch", "data@dev"), None),
    (("start", "commit", "data@master"), None),
    (("delete", "repo", "upper", "--force"), None),
    (("update", "pipeline", "-f", "spec.yaml"), None),
    (("stop", "pipeline", "upper"), None),
]
