# ruff: noqa: E501  (the catalogue is a table: one case per line reads better than wrapped)
"""The bad-input catalogue as data: each case a real `pachlite` command on a prepared store,
with the exit code and the words its one line on stderr must have.

tests/reliability/test_bad_inputs.py runs every case; bench/reliability.py counts them for
docs/reliability.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GOOD_CMD = '[cp, "$data", /pfs/out/]'


def spec(body: str) -> dict[str, str]:
    return {"spec.yaml": body}


def pipeline(name: str = "q", inputs: str = "pfs: {repo: data, glob: /*}", extra: str = "") -> str:
    return (
        f"pipeline: {{name: {name}}}\ninput: {{{inputs}}}\ntransform: {{cmd: {GOOD_CMD}}}\n{extra}"
    )


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    says: str
    files: dict[str, str] = field(default_factory=dict)  # written in the working directory
    stdin: bytes | None = None
    links: dict[str, str] = field(default_factory=dict)  # symlink -> target, made after files
    unreadable: tuple[str, ...] = ()  # chmod 000; the command then runs obeying file modes
    setup: tuple[tuple[str, ...], ...] = ()  # pachlite commands run first (not changing it)


def deep_json(levels: int) -> str:
    return (
        '{"pipeline": {"name": "q"}, "input": '
        + '{"cross": [' * levels
        + "{}"
        + "]}" * levels
        + "}"
    )


def json_spec(
    transform: str, inputs: str = '{"pfs": {"repo": "data", "glob": "/*"}}'
) -> dict[str, str]:
    return {
        "spec.json": f'{{"pipeline": {{"name": "q"}}, "input": {inputs}, "transform": {transform}}}'
    }


TREE = {"tree/a.txt": "a", "tree/sub/b.txt": "b", "elsewhere/c.txt": "c"}


CREATE = ("create", "pipeline", "-f", "spec.yaml")
# fmt: off
CATALOGUE = [
    # Pipeline specs
    Case("yaml-syntax", CREATE, 2, "not valid YAML or JSON at line", spec("pipeline: {name: x\n")),
    Case("json-syntax", CREATE, 2, "not valid YAML or JSON", {"spec.yaml": '{"pipeline": {"name": "x"},, }'}),
    Case("not-a-mapping", CREATE, 2, "must be a mapping", spec("- 1\n- 2\n")),
    Case("empty-file", CREATE, 2, "no pipeline spec found", spec("")),
    Case("unknown-field", CREATE, 2, "unknown field `transfrom`", spec(pipeline().replace("transform", "transfrom"))),
    Case("unknown-nested-field", CREATE, 2, "unknown field `input.pfs.globb`", spec(pipeline(inputs="pfs: {repo: data, globb: /*}"))),
    Case("1x-field-atom", CREATE, 2, "Pachyderm 1.x field", spec(pipeline(inputs="atom: {repo: data, glob: /*}"))),
    Case("1x-field-standby", CREATE, 2, "use `autoscaling: true`", spec(pipeline(extra="standby: true\n"))),
    Case("1x-field-in-cross", CREATE, 2, "`input.cross.atom` is a Pachyderm 1.x field", spec(pipeline(inputs="cross: [{atom: {repo: data, glob: /*}}, {pfs: {repo: data, name: b, glob: /}}]"))),
    Case("timestamp", CREATE, 2, "unquoted timestamp", spec(pipeline(inputs="cron: {name: tick, spec: '@every 1h', start: 2024-01-01T00:00:00Z}"))),
    Case("missing-repo", CREATE, 2, "input repo 'dta' does not exist (did you mean 'data'?)", spec(pipeline(inputs="pfs: {repo: dta, glob: /*}"))),
    Case("cycle", ("update", "pipeline", "-f", "spec.yaml"), 2, "cycle", spec(pipeline("p", "pfs: {repo: p, glob: /}"))),
    Case("self-input", CREATE, 2, "does not exist", spec(pipeline("q", "pfs: {repo: q, glob: /}"))),
    Case("invalid-glob", CREATE, 2, "glob", spec(pipeline(inputs="pfs: {repo: data, glob: '/[a-'}"))),
    Case("glob-capture-group", CREATE, 2, "$3", spec(pipeline(inputs="join: [{pfs: {repo: data, glob: '/(*)', join_on: '$3'}}, {pfs: {repo: data, name: d2, glob: '/(*)', join_on: '$1'}}]"))),
    Case("bad-duration", CREATE, 2, "not a duration", spec(pipeline(extra="datum_timeout: 10 minutes\n"))),
    Case("duplicate-input-names", CREATE, 2, "data", spec(pipeline(inputs="cross: [{pfs: {repo: data, glob: /*}}, {pfs: {repo: data, glob: /}}]"))),
    Case("bad-pipeline-name", CREATE, 2, "invalid pipeline name", spec(pipeline("bad name!"))),
    Case("no-cmd", CREATE, 2, "`transform.cmd` is required", spec("pipeline: {name: q}\ninput: {pfs: {repo: data, glob: /*}}\ntransform: {image: x}\n")),
    Case("no-input", CREATE, 2, "`input` is required", spec(f"pipeline: {{name: q}}\ntransform: {{cmd: {GOOD_CMD}}}\n")),
    Case("spout-with-input", CREATE, 2, "a spout has no input", spec(pipeline(extra="spout: {}\n"))),
    Case("service-parallelism", CREATE, 2, "a service runs exactly one worker", spec(pipeline(extra="service: {internal_port: 8000, external_port: 30000}\nparallelism_spec: {constant: 2}\n"))),
    Case("negative-datum-tries", CREATE, 2, "datum_tries", spec(pipeline(extra="datum_tries: -1\n"))),
    Case("bad-reprocess-spec", CREATE, 2, "reprocess_spec", spec(pipeline(extra="reprocess_spec: sometimes\n"))),
    Case("existing-pipeline", CREATE, 4, "pipeline 'p' already exists", spec(pipeline("p"))),
    Case("yaml-alias", CREATE, 2, "YAML alias at line 3 is not supported", spec("base: &b {repo: data, glob: /*}\npipeline: {name: q}\ninput: {pfs: *b}\ntransform: {cmd: [cp]}\n")),
    Case("nul-in-cmd", ("create", "pipeline", "-f", "spec.json"), 2, "`transform.cmd[2]` contains a NUL byte", json_spec('{"cmd": ["sh", "-c", "echo a\\u0000b"]}')),
    Case("nul-in-env", ("create", "pipeline", "-f", "spec.json"), 2, "`transform.env.X` contains a NUL byte", json_spec('{"cmd": ["true"], "env": {"X": "a\\u0000b"}}')),
    Case("env-name-with-equals", CREATE, 2, "cannot be an environment variable", spec(pipeline(extra="").replace("transform: {", "transform: {env: {A=B: '1'}, "))),
    Case("input-name-too-long", CREATE, 2, "input name of 300 bytes cannot be a directory name", spec(pipeline(inputs=f"pfs: {{repo: data, glob: /*, name: {'n' * 300}}}"))),
    Case("input-name-with-slash", CREATE, 2, "input name 'a/b' cannot be a directory name", spec(pipeline(inputs="pfs: {repo: data, glob: /*, name: a/b}"))),
    Case("spec-nested-too-deep-json", ("create", "pipeline", "-f", "deep.json"), 2, "nested more than 100 levels deep at line 1", {"deep.json": deep_json(5000)}),
    Case("spec-nested-too-deep-yaml", CREATE, 2, "nested more than 100 levels deep", spec("pipeline: {name: q}\ninput: " + "[" * 5000 + "]" * 5000 + "\n")),
    # Repos, branches, commits, files
    Case("repo-name", ("create", "repo", "a b"), 2, "invalid repo name 'a b'"),
    Case("repo-project", ("create", "repo", "a/b"), 3, 'project "a" not found'),
    Case("repo-exists", ("create", "repo", "data"), 4, "repo 'data' already exists"),
    Case("put-missing-repo", ("put", "file", "nope@master:/x", "-f", "-"), 3, "repo 'nope' not found", stdin=b"x"),
    Case("finish-missing-branch", ("finish", "commit", "data@nobranch"), 3, "branch data@nobranch not found"),
    Case("commit-missing-parent-branch", ("start", "commit", "data@master", "--parent", "zzz"), 3, "branch data@zzz not found"),
    Case("missing-commit", ("inspect", "commit", "data@0123456789abcdef0123456789abcdef"), 3, "not found"),
    Case("bad-ref", ("inspect", "commit", "data@master^x"), 2, "cannot parse reference"),
    Case("dotdot-path", ("put", "file", "data@master:/a/../b", "-f", "-"), 2, "'..' elements are not allowed", stdin=b"x"),
    Case("glob-char-in-name", ("put", "file", "data@master:/bad*name", "-f", "-"), 2, "'*' not allowed in file names", stdin=b"x"),
    Case("control-char-in-name", ("put", "file", "data@master:/a\tb", "-f", "-"), 2, "invalid path", stdin=b"x"),
    Case("name-over-255-bytes", ("put", "file", f"data@master:/dir/{'x' * 300}", "-f", "-"), 2, "is 300 bytes long", stdin=b"x"),
    Case("put-r-symlink-to-directory", ("put", "file", "-r", "data@master:/t", "-f", "tree"), 2, "tree/link is a symlink to a directory", TREE, links={"tree/link": "../elsewhere"}),
    Case("put-r-dangling-symlink", ("put", "file", "-r", "data@master:/t", "-f", "tree"), 7, "tree/gone: No such file or directory", TREE, links={"tree/gone": "nowhere"}),
    Case("put-r-unreadable-directory", ("put", "file", "-r", "data@master:/t", "-f", "tree"), 7, "cannot read directory", TREE, unreadable=("tree/sub",)),
    Case("put-r-unreadable-file", ("put", "file", "-r", "data@master:/t", "-f", "tree"), 7, "tree/sub/b.txt: Permission denied; nothing was stored", TREE, unreadable=("tree/sub/b.txt",)),
    Case("put-unreadable-file", ("put", "file", "data@master:/a", "-f", "tree/a.txt"), 7, "Permission denied", TREE, unreadable=("tree/a.txt",)),
    Case("root-not-a-directory", ("--root", "/dev/null/store", "list", "repo"), 10, "cannot create the store at /dev/null/store: Not a directory"),
    Case("backup-over-a-file", ("backup", "spec.yaml"), 4, "already exists", spec("x")),
    Case("restore-not-a-backup", ("restore", "spec.yaml"), 2, "is not a pachlite metadata backup", spec("pipeline: {name: x}\n")),
    Case("restore-over-healthy-store", ("restore", "good.sqlite"), 5, "is healthy", setup=(("backup", "good.sqlite"),)),
    Case("missing-local-file", ("put", "file", "data@master:/x", "-f", "/nonexistent/file"), 2, "does not exist"),
    Case("unreachable-url", ("put", "file", "data@master:/x", "-f", "http://127.0.0.1:9/x"), 7, "cannot fetch http://127.0.0.1:9/x"),
    Case("missing-file", ("get", "file", "data@master:/missing"), 3, "not found"),
    Case("finish-finished", ("finish", "commit", "data@master"), 5, "already finished"),
    Case("branch-own-provenance", ("create", "branch", "data@b2", "--provenance", "data@b2"), 2, "its own provenance"),
    Case("delete-repo-with-pipeline", ("delete", "repo", "data"), 5, "p"),
    Case("unknown-noun", ("list", "repos"), 2, "did you mean"),
    Case("missing-pipeline-job", ("list", "job", "-p", "nope"), 3, "nope"),
    Case("validate-missing-folder", ("validate", "nowhere"), 3, "no such file or folder"),
]
# fmt: on
