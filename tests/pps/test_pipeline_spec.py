"""The typed spec: an effective spec parsed once into the values the engine reads."""

import json

import pytest

from pachlite.errors import InvalidArgument
from pachlite.pps.pipeline_spec import (
    CronInput,
    Cross,
    Group,
    Join,
    PfsInput,
    Service,
    Union,
    load_spec,
    parse_input,
    parse_spec,
)
from pachlite.pps.spec import load_documents, normalize, validate_schema
from pachlite.pps.validate import effective_spec, validate


def effective(text: str) -> dict:
    """A spec as `create pipeline` has it just before parsing: read, defaulted, validated."""
    spec = normalize(load_documents(text)[0])
    validate_schema(spec)
    spec = effective_spec(spec, salt="s" * 32)
    validate(spec, existing_repos={"images", "labels"}, pipeline_inputs={})
    return spec


FULL = """
pipeline: {name: edges}
description: finds edges
transform:
  cmd: [python3, edges.py]
  stdin: [line one]
  err_cmd: [sh, -c, "exit 0"]
  err_stdin: [recover]
  env: {MODE: fast, "lower_case": "1"}
  working_dir: /app
  accept_return_code: [3, 4]
input:
  cross:
    - pfs: {repo: images, glob: "/*", lazy: true, empty_files: true}
    - join:
        - pfs: {repo: labels, name: l, glob: "/(*).json", join_on: "$1", outer_join: true}
        - pfs: {repo: images, name: i, branch: dev, glob: "/(*).png", join_on: "$1"}
parallelism_spec: {constant: 4}
datum_tries: 5
datum_timeout: 90s
job_timeout: 1.5s
output_branch: out
reprocess_spec: every_job
"""


def test_every_field_the_engine_reads_is_typed() -> None:
    spec = parse_spec(effective(FULL))
    assert (spec.name, spec.project, spec.description) == ("edges", "default", "finds edges")
    t = spec.transform
    assert t.cmd == ("python3", "edges.py") and t.stdin == ("line one",)
    assert t.err_cmd == ("sh", "-c", "exit 0") and t.err_stdin == ("recover",)
    assert dict(t.env) == {"MODE": "fast", "lower_case": "1"}  # a user map: keys as written
    assert t.working_dir == "/app" and t.accept_return_code == (3, 4)
    assert t.image == "ubuntu:20.04"  # Pachyderm's default image
    assert (spec.parallelism, spec.datum_tries) == (4, 5)
    assert (spec.datum_timeout, spec.job_timeout) == (90.0, 1.5)
    assert (spec.output_branch, spec.reprocess_spec, spec.salt) == ("out", "every_job", "s" * 32)
    assert spec.kind == "batch" and spec.served is None


def test_the_input_tree_is_a_sum_type_with_defaults_applied() -> None:
    tree = parse_spec(effective(FULL)).input
    assert isinstance(tree, Cross)
    # Siblings are sorted by the name the user gave ("" first), as Pachyderm does.
    images, join = tree.inputs
    assert images == PfsInput("images", "images", "master", "/*", lazy=True, empty_files=True)
    assert isinstance(join, Join)
    assert join.inputs == (
        PfsInput("i", "images", "dev", "/(*).png", join_on="$1"),
        PfsInput("l", "labels", "master", "/(*).json", join_on="$1", outer_join=True),
    )
    spec = parse_spec(effective(FULL))
    assert [leaf.name for leaf in spec.leaves()] == ["images", "i", "l"]
    assert spec.input_repos == {"images", "labels"}


def test_unions_groups_and_cron_inputs() -> None:
    spec = parse_spec(
        effective(
            "pipeline: {name: p}\ntransform: {cmd: [x]}\ninput:\n  union:\n"
            "    - group: [{pfs: {repo: images, glob: '/(*)', group_by: '$1'}}]\n"
            "    - cron: {name: tick, spec: '@every 1h', overwrite: true}\n"
        )
    )
    assert isinstance(spec.input, Union)
    group, cron = spec.input.inputs
    assert group == Group((PfsInput("images", "images", glob="/(*)", group_by="$1"),))
    assert cron == CronInput("tick", "p_tick", "@every 1h", start=None, overwrite=True)
    assert cron.branch == "master" and spec.cron_inputs == [cron]
    assert spec.input_repos == {"images", "p_tick"}


def test_services_and_spouts() -> None:
    service = parse_spec(
        effective(
            "pipeline: {name: s}\ntransform: {cmd: [serve]}\ninput: {pfs: {repo: images, "
            "glob: /}}\nservice: {internal_port: 8080, type: NodePort}\n"
        )
    )
    assert service.kind == "service" and service.served == Service(8080, 0, "NodePort")
    assert service.served.ports == (8080, 8080)  # the external port defaults to the internal
    spout = parse_spec(effective("pipeline: {name: sp}\ntransform: {cmd: [emit]}\nspout: {}\n"))
    assert spout.kind == "spout" and spout.input is None and spout.served is None


def test_the_stored_json_parses_to_the_same_values() -> None:
    stored = json.dumps(effective(FULL), sort_keys=True)
    assert load_spec(stored) == parse_spec(json.loads(stored))
    assert load_spec(stored) is load_spec(stored)  # immutable, so one parse is shared


def test_a_node_with_no_input_kind_is_refused() -> None:
    assert parse_input(None) is None and parse_input({}) is None
    with pytest.raises(InvalidArgument, match="none of pfs, cron, cross, union, join, group"):
        parse_input({"cross": [{}]})


def test_a_null_command_item_is_refused_when_the_spec_is_created() -> None:
    with pytest.raises(InvalidArgument, match=r"`transform.cmd` has a null item"):
        effective(
            "pipeline: {name: p}\ntransform: {cmd: [x, null]}\n"
            "input: {pfs: {repo: images, glob: /}}\n"
        )
    with pytest.raises(InvalidArgument, match=r"`transform.accept_return_code` has a null"):
        effective(
            "pipeline: {name: p}\ntransform: {cmd: [x], accept_return_code: [~]}\n"
            "input: {pfs: {repo: images, glob: /}}\n"
        )
