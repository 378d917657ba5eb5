"""Reading specs as pachctl does, and the server-side rules:
docs/semantics.md §1 and §10.1-§10.3.
"""

import re

import pytest

from pachlite.errors import InvalidArgument
from pachlite.pps.spec import (
    MAX_DEPTH,
    load_documents,
    normalize,
    parse_duration,
    validate_schema,
)
from pachlite.pps.validate import effective_spec, local_notes, validate

BASE = """
pipeline: {name: edges}
transform: {cmd: [python3, edges.py], image: "reproml/steps:0.1.0"}
input: {pfs: {repo: images, glob: "/*"}}
"""


def read(text: str) -> list[dict]:
    out = []
    for doc in load_documents(text):
        spec = normalize(doc)
        validate_schema(spec)
        out.append(spec)
    return out


def check(spec: dict, repos: set[str] | None = None, pipelines: dict | None = None) -> dict:
    effective = effective_spec(spec)
    validate(
        effective, existing_repos=repos or {"images", "labels"}, pipeline_inputs=pipelines or {}
    )
    return effective


def test_multi_document_yaml_and_top_level_lists() -> None:
    two_docs = BASE + "---\n" + BASE.replace("edges", "blur")
    assert [s["pipeline"]["name"] for s in read(two_docs)] == ["edges", "blur"]
    as_list = (
        '[{"pipeline": {"name": "a"}, "transform": {"cmd": ["x"]}},'
        ' {"pipeline": {"name": "b"}, "transform": {"cmd": ["y"]}}]'
    )
    assert [s["pipeline"]["name"] for s in read(as_list)] == ["a", "b"]


def test_snake_and_camel_case_normalise_to_camel_but_user_maps_stay() -> None:
    snake = read(
        BASE
        + "datum_tries: 5\nparallelism_spec: {constant: 2}\ntransform_extra: null\n".replace(
            "transform_extra: null\n", ""
        )
        + "reprocess_spec: every_job\n"
    )[0]
    assert snake["datumTries"] == 5 and snake["parallelismSpec"] == {"constant": 2}
    camel = read(BASE + "datumTries: 5\n")[0]
    assert camel["datumTries"] == 5
    env = read(BASE.replace("cmd:", 'env: {MY_VAR_1: "x", snake_key: "y"}, cmd:'))[0]
    assert env["transform"]["env"] == {"MY_VAR_1": "x", "snake_key": "y"}


def test_dollar_schema_is_dropped() -> None:
    assert "$schema" not in read('"$schema": "https://x"\n' + BASE)[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("standby: true\n", "use `autoscaling: true`"),
        ("enable_stats: true\n", "2.x always keeps datum stats"),
        ("cache_size: 1G\n", "1.x field"),
        ("pod_spec: '{}'\n", "pod_patch"),
        ("chunk_spec: {number: 1}\n", "datum_set_spec"),
        ("max_queue_size: 1\n", "1.x field"),
        ("parallelism_spec: {coefficient: 1}\n", "parallelism_spec.constant"),
    ],
)
def test_1x_fields_name_their_replacement(extra: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        read(BASE + extra)


def test_spout_overwrite_is_a_1x_field() -> None:
    with pytest.raises(InvalidArgument, match=r"spout\.overwrite"):
        read("pipeline: {name: s}\ntransform: {cmd: [x]}\nspout: {overwrite: true}\n")


def test_unknown_fields_are_refused_with_a_suggestion() -> None:
    with pytest.raises(
        InvalidArgument, match=r"unknown field `transform.cmdd`.*did you mean 'cmd'"
    ):
        read(BASE.replace("cmd:", "cmdd:"))
    with pytest.raises(InvalidArgument, match="unknown field `datum_triez`"):
        read(BASE + "datum_triez: 3\n")


def test_yaml_aliases_and_timestamps_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="alias"):
        read("x: &a {name: p}\npipeline: *a\n")
    with pytest.raises(InvalidArgument, match="unquoted timestamp"):
        read(BASE + "cron_start: 2024-01-01T00:00:00Z\n")


def test_malformed_yaml_says_where() -> None:
    with pytest.raises(InvalidArgument, match="line 3"):
        read("pipeline: {name: x}\ntransform: [cmd: \n")


def test_durations_are_seconds_with_an_s() -> None:
    assert parse_duration("600s", "d") == 600.0
    assert parse_duration("1.5s", "d") == 1.5
    with pytest.raises(InvalidArgument, match="not a duration"):
        read(BASE + 'datum_timeout: "5m"\n')


def test_schema_types_are_checked() -> None:
    with pytest.raises(InvalidArgument, match="datum_tries"):
        read(BASE + 'datum_tries: "three"\n')


def test_defaults() -> None:
    spec = check(read(BASE)[0])
    assert spec["datumTries"] == 3 and spec["outputBranch"] == "master"
    assert spec["reprocessSpec"] == "until_success"
    assert spec["input"]["pfs"] == {
        "repo": "images",
        "glob": "/*",
        "name": "images",
        "branch": "master",
    }
    assert len(spec["salt"]) == 32
    assert effective_spec(read(BASE)[0], salt="kept")["salt"] == "kept"


def test_glob_is_cleaned() -> None:
    spec = check(read(BASE.replace('"/*"', '"*/"'))[0])
    assert spec["input"]["pfs"]["glob"] == "/*"
    spec = check(read(BASE.replace('glob: "/*"', 'glob: ""'))[0])
    assert spec["input"]["pfs"]["glob"] == "/"


CROSS = """
pipeline: {name: p}
transform: {cmd: [x]}
input:
  %s:
  - pfs: {repo: images, glob: "/*", %s}
  - pfs: {repo: labels, glob: "/*", %s}
"""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CROSS % ("cross", "name: a", "name: a"), "used twice"),
        (CROSS % ("cross", "name: out", "name: b"), "reserved"),
        (CROSS % ("cross", "name: .env", "name: b"), "reserved"),
        (BASE.replace("glob:", "commit: abc, glob:"), "names a commit"),
        (BASE.replace("images", "imagez"), "does not exist.*did you mean 'images'"),
        (BASE.replace("name: edges", "name: -bad"), "invalid pipeline name"),
        (BASE.replace("name: edges", "name: " + "x" * 52), "invalid pipeline name"),
        (BASE + "spout: {}\n", "a spout has no input"),
        ("pipeline: {name: p}\ntransform: {cmd: [x]}\n", "`input` is required"),
        (BASE + "service: {internal_port: 1, external_port: 2}\nspout: {}\n", "not both"),
        (BASE + "reprocess_spec: sometimes\n", "reprocess_spec"),
        (BASE.replace('"/*"', '"/[abc"'), "invalid glob"),
        (BASE.replace('glob: "/*"', 'glob: "/(*)", join_on: "$2"'), "capture group"),
        (BASE + "s3_out: true\n", "S3 gateway"),
        (BASE.replace("cmd: [python3, edges.py], ", ""), "`transform.cmd` is required"),
    ],
)
def test_server_side_rules(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        check(read(spec)[0])


def test_union_siblings_may_share_a_name() -> None:
    check(read(CROSS % ("union", "name: a", "name: a"))[0])


def test_cycles_are_refused() -> None:
    spec = read(BASE.replace("repo: images", "repo: blur"))[0]
    with pytest.raises(InvalidArgument, match="cycle"):
        check(spec, repos={"blur"}, pipelines={"blur": {"edges"}})


def test_cluster_only_fields_are_kept_and_explained() -> None:
    spec = check(
        read(
            BASE + "resource_limits: {gpu: {type: nvidia.com/gpu, number: 1}}\n"
            "tolerations: [{key: gpu, operator: EXISTS}]\n"
        )[0]
    )
    assert spec["resourceLimits"]["gpu"] == {"type": "nvidia.com/gpu", "number": 1}
    notes = "\n".join(local_notes(spec))
    assert "resource_limits" in notes and "nvidia.com/gpu" in notes
    assert "tolerations" in notes and "transform.image" in notes


def test_the_bundled_schema_is_pachyderms() -> None:
    import hashlib
    from importlib import resources

    data = (
        resources.files("pachlite.pps")
        .joinpath("schemas/CreatePipelineRequest.schema.json")
        .read_bytes()
    )
    # sha256 recorded in docs/semantics.md §8 for Pachyderm 2.12.x.
    assert hashlib.sha256(data).hexdigest() == (
        "418de6e7973f40f8dd2a89c72a011c5f18675de077ac4390650851ad0daa02e7"
    )


@pytest.mark.parametrize(
    ("transform", "says"),
    [
        ({"cmd": ["sh", "-c", "echo a\0b"]}, "`transform.cmd[2]` contains a NUL byte"),
        ({"cmd": ["true"], "env": {"X": "a\0b"}}, "`transform.env.X` contains a NUL byte"),
        ({"cmd": ["true"], "stdin": ["x\0"]}, "`transform.stdin[0]` contains a NUL byte"),
        ({"cmd": ["true"], "env": {"A=B": "1"}}, "cannot be an environment variable"),
        ({"cmd": ["true"], "env": {"": "1"}}, "cannot be an environment variable"),
        ({"cmd": ["true"], "working_dir": "/" + "w" * 256}, "longer than 255 bytes"),
    ],
)
def test_what_no_process_could_start_with_is_refused_at_create(transform: dict, says: str) -> None:
    spec = {
        "pipeline": {"name": "p"},
        "transform": transform,
        "input": {"pfs": {"repo": "images", "glob": "/*"}},
    }
    with pytest.raises(InvalidArgument, match=re.escape(says)):
        check(normalize(spec))


@pytest.mark.parametrize("name", ["n" * 256, "a/b", "..", "."])
def test_input_names_must_be_directory_names(name: str) -> None:
    spec = {
        "pipeline": {"name": "p"},
        "transform": {"cmd": ["true"]},
        "input": {"pfs": {"repo": "images", "glob": "/*", "name": name}},
    }
    with pytest.raises(InvalidArgument, match="cannot be a directory name under /pfs"):
        check(normalize(spec))


def test_a_255_byte_input_name_is_fine() -> None:
    spec = {
        "pipeline": {"name": "p"},
        "transform": {"cmd": ["true"]},
        "input": {"pfs": {"repo": "images", "glob": "/*", "name": "n" * 255}},
    }
    assert check(normalize(spec))["input"]["pfs"]["name"] == "n" * 255


def nested_input(levels: int) -> dict:
    node: dict = {"pfs": {"repo": "images", "glob": "/*"}}
    for _ in range(levels):
        node = {"cross": [node]}
    return node


def test_specs_nested_past_the_limit_are_refused_in_yaml_json_and_python() -> None:
    deep_json = (
        '{"pipeline": {"name": "x"}, "input": ' + '{"cross": [' * 5000 + "{}" + "]}" * 5000 + "}"
    )
    with pytest.raises(
        InvalidArgument, match=f"nested more than {MAX_DEPTH} levels deep at line 1"
    ):
        load_documents(deep_json, "deep.json")
    deep_yaml = "pipeline: {name: x}\ninput: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(InvalidArgument, match=r"deep\.yaml: the spec is nested more than"):
        load_documents(deep_yaml, "deep.yaml")
    spec = {"pipeline": {"name": "x"}, "transform": {"cmd": ["true"]}, "input": nested_input(5000)}
    with pytest.raises(InvalidArgument, match="nested more than"):
        normalize(spec)


def test_a_deep_but_allowed_input_tree_goes_through_every_check() -> None:
    spec = {"pipeline": {"name": "x"}, "transform": {"cmd": ["true"]}, "input": nested_input(48)}
    validate_schema(normalize(spec))
    check(normalize(spec))
