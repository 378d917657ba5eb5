"""Projects through the real CLI: `default` always there, `create|list|inspect|delete project`,
`--project` on the verbs that name repos, and `project/repo@branch:/path` references."""

from __future__ import annotations

import json

from tests.support.cli import Cli


def test_default_exists_and_cannot_be_deleted(cli: Cli) -> None:
    listed = cli("list", "project").out.splitlines()
    assert listed[0].split() == ["PROJECT", "CREATED", "DESCRIPTION"]
    assert [line.split()[0] for line in listed[1:]] == ["default"]
    shown = json.loads(cli("inspect", "project", "default", "-o", "json").out)
    assert shown["name"] == "default"
    refused = cli("delete", "project", "default", check=False)
    assert refused.code == 2 and "default project cannot be deleted" in refused.err


def test_create_inspect_list_and_delete_a_project(cli: Cli) -> None:
    cli("create", "project", "vision", "-d", "pictures")
    shown = json.loads(cli("inspect", "project", "vision", "-o", "json").out)
    assert (shown["name"], shown["description"]) == ("vision", "pictures")
    names = [
        p["name"]
        for p in map(json.loads, cli("list", "project", "-o", "json").out.split("\n")[:-1])
    ]
    assert names == ["default", "vision"]
    again = cli("create", "project", "vision", check=False)
    assert again.code == 4 and 'project "vision" already exists' in again.err
    cli("delete", "project", "vision")
    missing = cli("inspect", "project", "vision", check=False)
    assert missing.code == 3 and 'project "vision" not found' in missing.err


def test_a_project_holding_repos_is_not_deleted(cli: Cli) -> None:
    cli("create", "project", "audio")
    cli("create", "repo", "clips", "--project", "audio")
    refused = cli("delete", "project", "audio", check=False)
    assert refused.code == 5
    assert "cannot delete project audio: repo audio/clips still exists" in refused.err
    cli("delete", "repo", "clips", "--project", "audio")
    cli("delete", "project", "audio")


def test_repos_are_unique_within_a_project(cli: Cli) -> None:
    cli("create", "project", "p")
    cli("create", "repo", "data")
    cli("create", "repo", "data", "--project", "p", "-d", "the other one")
    cli("put", "file", "data@master:/a.txt", stdin=b"default\n")
    cli("put", "file", "p/data@master:/a.txt", stdin=b"in p\n")
    assert cli("get", "file", "data@master:/a.txt").out == "default\n"
    assert cli("get", "file", "p/data@master:/a.txt").out == "in p\n"
    assert cli("get", "file", "data@master:/a.txt", "--project", "p").out == "in p\n"
    # --project is where names without one are read; a name with one keeps its own.
    assert cli("get", "file", "default/data@master:/a.txt", "--project", "p").out == "default\n"
    in_p = json.loads(cli("inspect", "repo", "data", "--project", "p", "-o", "json").out)
    assert (in_p["project"], in_p["description"]) == ("p", "the other one")
    listed = cli("list", "repo", "--project", "p").out.splitlines()
    assert [line.split()[0] for line in listed[1:]] == ["data"]
    everywhere = cli("list", "repo", "--all-projects").out.splitlines()
    assert everywhere[0].split()[:2] == ["PROJECT", "NAME"]
    assert sorted(line.split()[:2] for line in everywhere[1:]) == [
        ["default", "data"],
        ["p", "data"],
    ]
    commits = cli("list", "commit", "p/data@master", "-o", "json").out.splitlines()
    assert len(commits) == 1 and json.loads(commits[0])["repo"] == "p/data"
    cli("create", "branch", "p/data@dev", "--head", "master")
    branches = [
        json.loads(b)["name"]
        for b in cli("list", "branch", "data", "--project", "p", "-o", "json").out.splitlines()
    ]
    assert sorted(branches) == ["dev", "master"]


def test_a_repo_in_a_missing_project_is_not_found(cli: Cli) -> None:
    made = cli("create", "repo", "x", "--project", "nowhere", check=False)
    assert made.code == 3 and 'project "nowhere" not found' in made.err
    read = cli("get", "file", "nowhere/x@master:/a", check=False)
    assert read.code == 3 and 'project "nowhere" not found' in read.err
    bad = cli("list", "file", "a/b/c@master", check=False)
    assert bad.code == 2 and "invalid project name" in bad.err


def test_a_pipeline_runs_in_its_project_and_reads_another(cli: Cli) -> None:
    cli("create", "project", "ml")
    cli("create", "repo", "raw")  # in default
    cli("put", "file", "raw@master:/a.txt", stdin=b"data\n")
    script = "cp /pfs/raw/a.txt /pfs/out/; echo $PPS_PROJECT_NAME $PPS_PIPELINE_NAME > /pfs/out/who"
    spec = {
        "pipeline": {"name": "prep"},  # its project comes from --project
        "input": {"pfs": {"repo": "raw", "project": "default", "glob": "/"}},
        "transform": {"cmd": ["sh", "-c", script]},
    }
    (cli.cwd / "prep.json").write_text(json.dumps(spec))
    cli("create", "pipeline", "-f", "prep.json", "--project", "ml")
    assert cli("get", "file", "ml/prep@master:/who").out == "ml prep\n"
    assert cli("get", "file", "prep@master:/a.txt", "--project", "ml").out == "data\n"
    shown = json.loads(cli("inspect", "pipeline", "prep", "--project", "ml", "-o", "json").out)
    assert shown["effective_spec"]["pipeline"]["project"] == {"name": "ml"}
    jobs = [json.loads(j) for j in cli("list", "job", "-o", "json").out.splitlines()]
    assert [j["state"] for j in jobs] == ["JOB_SUCCESS"]
    # A second pipeline of the same name in default is another pipeline.
    spec["pipeline"] = {"name": "prep", "project": {"name": "default"}}
    (cli.cwd / "prep2.json").write_text(json.dumps(spec))
    cli("create", "pipeline", "-f", "prep2.json")
    assert cli("get", "file", "prep@master:/who").out == "default prep\n"
    refused = cli("delete", "project", "ml", check=False)
    assert refused.code == 5 and "repo ml/prep still exists" in refused.err
    cli("delete", "pipeline", "prep", "--project", "ml")
    cli("delete", "project", "ml")


def test_a_spec_in_a_missing_project_is_refused(cli: Cli) -> None:
    cli("create", "repo", "raw")
    spec = {
        "pipeline": {"name": "p1", "project": {"name": "ghost"}},
        "input": {"pfs": {"repo": "raw", "glob": "/"}},
        "transform": {"cmd": ["true"]},
    }
    (cli.cwd / "p1.json").write_text(json.dumps(spec))
    refused = cli("create", "pipeline", "-f", "p1.json", check=False)
    assert refused.code == 3 and 'project "ghost" not found' in refused.err
    cli("create", "project", "ghost")
    missing = cli("create", "pipeline", "-f", "p1.json", check=False)  # raw is in default
    assert missing.code == 2 and "input repo 'ghost/raw' does not exist" in missing.err
