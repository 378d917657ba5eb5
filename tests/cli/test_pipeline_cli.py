"""Pipelines from the command line, as a user drives them."""

import json
import sys

from tests.support.cli import Cli

SPECS = """
pipeline: {name: upper}
transform:
  cmd: [sh, -c, "tr a-z A-Z < $words > /pfs/out/$(basename $words)"]
input: {pfs: {repo: words, glob: "/*"}}
---
pipeline: {name: count}
transform:
  cmd: [sh, -c, "cat /pfs/upper/* | wc -c > /pfs/out/total"]
input: {pfs: {repo: upper, glob: "/"}}
"""


def test_a_two_stage_dag_runs_as_commits_arrive(cli: Cli) -> None:
    (cli.cwd / "dag.yaml").write_text(SPECS)
    cli("create", "repo", "words")
    cli("put", "file", "words@master:/a", stdin=b"hello")
    created = cli("create", "pipeline", "-f", "dag.yaml")
    assert "created pipeline upper" in created.err and "JOB_SUCCESS" in created.err
    assert cli("get", "file", "upper@master:/a").out == "HELLO"
    assert cli("get", "file", "count@master:/total").out.strip() == "5"
    put = cli("put", "file", "words@master:/b", stdin=b"abc")
    assert "job upper@" in put.err and "1 processed, 1 skipped" in put.err
    assert cli("get", "file", "count@master:/total").out.strip() == "8"
    jobs = [json.loads(x) for x in cli("list", "job", "-o", "json").out.splitlines()]
    assert {j["state"] for j in jobs} == {"JOB_SUCCESS"}
    assert len(jobs) == 4
    listed = cli("list", "pipeline").out
    assert "upper" in listed and "count" in listed
    full = cli("inspect", "commit", "count@master", "--full").out
    assert "words@" in full and "upper@" in full and "Job: count@" in full


def test_no_wait_leaves_jobs_queued_and_a_later_command_runs_them(cli: Cli) -> None:
    (cli.cwd / "dag.yaml").write_text(SPECS)
    cli("create", "repo", "words")
    cli("put", "file", "--no-wait", "words@master:/a", stdin=b"x")
    cli("create", "pipeline", "--no-wait", "-f", "dag.yaml")
    states = {json.loads(x)["state"] for x in cli("list", "job", "-o", "json").out.splitlines()}
    assert states == {"JOB_CREATED"}
    cli("put", "file", "words@master:/b", stdin=b"y")
    states = {json.loads(x)["state"] for x in cli("list", "job", "-o", "json").out.splitlines()}
    assert states == {"JOB_SUCCESS"}


def test_logs_datums_and_preview(cli: Cli) -> None:
    spec = cli.cwd / "echo.json"
    spec.write_text(
        json.dumps(
            {
                "pipeline": {"name": "echo"},
                "transform": {
                    "cmd": [
                        sys.executable,
                        "-c",
                        "import os; print('saw', os.path.basename(os.environ['in']))",
                    ]
                },
                "input": {"pfs": {"repo": "in", "glob": "/*"}},
            }
        )
    )
    cli("create", "repo", "in")
    cli("put", "file", "in@master:/one", stdin=b"1")
    preview = cli("list", "datum", "-f", "echo.json").out
    assert "in@" in preview and ":/one" in preview
    cli("create", "pipeline", "-f", "echo.json")
    job = json.loads(cli("list", "job", "-p", "echo", "-o", "json").out.splitlines()[0])["id"]
    assert "saw one" in cli("logs", "-p", "echo").out
    datums = cli("list", "datum", f"echo@{job}").out
    assert "SUCCESS" in datums
    datum_id = datums.splitlines()[1].split()[0]
    assert "saw one" in cli("logs", "-j", f"echo@{job}", "--datum", datum_id[:8]).out
    assert "State: SUCCESS" in cli("inspect", "datum", f"echo@{job}", datum_id[:8]).out
    waited = cli("wait", "job", f"echo@{job}").out
    assert "JOB_SUCCESS" in waited


def test_bad_specs_are_one_line_errors_that_change_nothing(cli: Cli) -> None:
    cli("create", "repo", "in")
    cases = {
        "unknown.yaml": (
            "pipeline: {name: p}\ntransform: {cmdd: [x]}\ninput: {pfs: {repo: in, glob: /}}\n",
            "unknown field `transform.cmdd`",
        ),
        "old.yaml": (
            "pipeline: {name: p}\ntransform: {cmd: [x]}\nstandby: true\n"
            "input: {pfs: {repo: in, glob: /}}\n",
            "autoscaling",
        ),
        "broken.yaml": ("pipeline: {name: p\n", "not valid YAML"),
        "missing.yaml": (
            "pipeline: {name: p}\ntransform: {cmd: [x]}\ninput: {pfs: {repo: nope, glob: /}}\n",
            "does not exist",
        ),
        "dur.yaml": (
            "pipeline: {name: p}\ntransform: {cmd: [x]}\ndatum_timeout: 5m\n"
            "input: {pfs: {repo: in, glob: /}}\n",
            "duration",
        ),
    }
    for name, (text, needle) in cases.items():
        (cli.cwd / name).write_text(text)
        result = cli("create", "pipeline", "-f", name, check=False)
        assert result.code == 2, (name, result.err)
        assert needle in result.err, (name, result.err)
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert cli("list", "pipeline", "-o", "json").out == ""
    assert [json.loads(x)["name"] for x in cli("list", "repo", "-o", "json").out.splitlines()] == [
        "in"
    ]


def test_cluster_only_fields_are_noted(cli: Cli) -> None:
    cli("create", "repo", "in")
    (cli.cwd / "gpu.yaml").write_text(
        "pipeline: {name: train}\n"
        "transform: {image: 'reproml/steps-gpu:0.1.0', cmd: ['true']}\n"
        "resource_limits: {gpu: {type: nvidia.com/gpu, number: 1}}\n"
        "input: {pfs: {repo: in, glob: /}}\n"
    )
    created = cli("create", "pipeline", "-f", "gpu.yaml")
    assert "note: resource_limits" in created.err and "note: transform.image" in created.err
    inspected = cli("inspect", "pipeline", "train").out
    assert "Note: resource_limits" in inspected
    spec = json.loads(cli("inspect", "pipeline", "train", "--spec").out)
    assert spec["resourceLimits"]["gpu"]["number"] == 1 and spec["datumTries"] == 3


def test_a_binary_file_given_as_a_spec_is_refused_in_one_line(cli: Cli) -> None:
    (cli.cwd / "backup.bin").write_bytes(b"\x89PNG\r\n\x1a\n\xc4\xff" * 100)
    for verb in (("validate",), ("create", "pipeline", "-f")):
        result = cli(*verb, "backup.bin", check=False)
        assert result.code == 2, result.err
        assert result.err.strip().splitlines() == [
            "error: backup.bin is not a text spec (byte 0 is not UTF-8); "
            "give a pipeline spec in JSON or YAML"
        ]
