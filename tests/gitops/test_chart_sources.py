"""Chart sources that outlive a vendor: every chart comes from a git tag, every dependency of it
resolves from that tag alone, and every value set in an Application is one the chart reads.

The records in schemas/charts/ are what scripts/chart-source found at each tag; the tests here
check the Applications against them offline, and run the tool itself against real git
repositories made on the spot (a vendored archive, a file:// folder, a nested dependency, one
missing, a tag that moved).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.manifests import (
    SCHEMAS,
    applications,
    chart_record,
    leaf_paths,
    strict,
    variant,
)
from tests.support.repo import REPO_ROOT

TOOL = REPO_ROOT / "scripts" / "chart-source"
HELM_REPOSITORIES = ("helm.pachyderm.com", "storage.googleapis.com", "charts.", ".github.io")
RECORDS = {
    "pachyderm": "pachyderm",
    "seldon-core-operator": "seldon-core-operator",
    "kserve-crd": "kserve-crd",
    "kserve": "kserve-resources",
}


def helm_apps(tmp_path: Path) -> dict[str, dict[str, Any]]:
    apps = applications(variant(tmp_path, kserve=True))
    return {n: a for n, a in apps.items() if a["kind"] == "Application" and n in RECORDS}


def test_every_chart_comes_from_a_git_tag_that_was_checked(tmp_path: Path) -> None:
    apps = applications(variant(tmp_path, kserve=True))
    charts = {n: a for n, a in apps.items() if "helm" in a.get("spec", {}).get("source", {})}
    assert set(charts) == set(RECORDS)
    for name, app in charts.items():
        source = app["spec"]["source"]
        assert "chart" not in source, f"{name}: a Helm repository, not a git source"
        assert source["repoURL"].endswith(".git") and source["targetRevision"].startswith("v")
        record = chart_record(RECORDS[name])
        assert (source["repoURL"], source["targetRevision"], source["path"]) == (
            record["repoURL"], record["targetRevision"], record["path"],
        ), f"{name} is not the source scripts/chart-source checked: record it again"  # fmt: skip
        assert len(record["commit"]) == 40


def test_the_project_permits_the_chart_sources_and_no_helm_repository(tmp_path: Path) -> None:
    for apps in (applications(), applications(variant(tmp_path, kserve=True))):
        project = apps["reproml"]["spec"]
        allowed = set(project["sourceRepos"])
        used = {a["spec"]["source"]["repoURL"] for a in apps.values() if a["kind"] == "Application"}
        assert allowed == used  # nothing more, nothing less
        assert not any(host in url for url in allowed for host in HELM_REPOSITORIES)
        destinations = {d["namespace"] for d in project["destinations"]}
        for app in apps.values():
            if app["kind"] == "Application":
                assert app["spec"]["destination"]["namespace"] in destinations


def resolved(dependencies: list[dict[str, Any]]) -> list[str]:
    return [d["resolved_by"] for d in dependencies] + [
        r for d in dependencies for r in resolved(d["dependencies"])
    ]


def test_every_dependency_resolves_inside_the_source() -> None:
    pachyderm = chart_record("pachyderm")
    assert pachyderm["targetRevision"] == "v2.11.6"
    assert [d["name"] for d in pachyderm["dependencies"]] == ["postgresql", "loki-stack"]
    for name in set(RECORDS.values()):
        for where in resolved(chart_record(name)["dependencies"]):
            assert where.startswith("charts/") or where.startswith("dependencies/"), where
    # The Seldon and KServe charts have none: nothing can be fetched from elsewhere.
    assert chart_record("seldon-core-operator")["dependencies"] == []
    assert chart_record("kserve-resources")["dependencies"] == []


def allowed(path: str, record: dict[str, Any]) -> bool:
    """A value the chart reads: a key path of its values.yaml (or below an open map there),
    or a key of a dependency's values.yaml under that dependency's name."""

    def within(p: str, paths: list[str], open_maps: list[str]) -> bool:
        return p in paths or any(p.startswith(m + ".") for m in open_maps)

    if within(path, record["values_paths"], record["values_open_maps"]):
        return True
    head, _, rest = path.partition(".")
    for dep in record["dependencies"]:
        if dep["name"] == head and within(rest, dep["values_paths"], dep["values_open_maps"]):
            return True
    return False


def test_every_value_set_is_one_the_chart_reads(tmp_path: Path) -> None:
    for name, app in helm_apps(tmp_path).items():
        values = app["spec"]["source"]["helm"].get("valuesObject", {})
        record = chart_record(RECORDS[name])
        unknown = [p for p in leaf_paths(values) if values and not allowed(p, record)]
        assert not unknown, f"{name}: the chart at {record['targetRevision']} reads no {unknown}"
    assert not allowed("kserve.controler.deploymentMode", chart_record("kserve-resources"))
    assert allowed("kserve.controller.podLabels.team", chart_record("kserve-resources"))


def test_pachyderm_values_match_the_chart_schema_at_the_tag() -> None:
    values = applications()["pachyderm"]["spec"]["source"]["helm"]["valuesObject"]
    schema = strict(json.loads((SCHEMAS / "helm" / "pachyderm-values.schema.json").read_text()))
    record = chart_record("pachyderm")
    # The vendored postgresql subchart reads image.registry; Pachyderm's schema does not list it.
    checked = json.loads(json.dumps(values))
    subchart_only = [p for p in leaf_paths(values) if p.startswith("postgresql.image.registry")]
    assert subchart_only and all(allowed(p, record) for p in subchart_only)
    del checked["postgresql"]["image"]["registry"]
    jsonschema.Draft7Validator(schema).validate(checked)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate({**checked, "pachdd": {}})


# The tool, against real git repositories ------------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def chart_archive(name: str, version: str, extra: dict[str, str] | None = None) -> bytes:
    files = {
        f"{name}/Chart.yaml": yaml.safe_dump(
            {"apiVersion": "v2", "name": name, "version": version}
        ),
        f"{name}/values.yaml": "image: {registry: docker.io, repository: x}\n",
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def chart_repo(root: Path, *, vendor_db: bool = True) -> Path:
    """An upstream-like repository: charts/app depends on db (an archive with its own nested
    dependency, from a Helm repository) and on lib (a file:// folder), tagged v1.0.0."""
    repo = root / "upstream"
    chart = repo / "deploy" / "app"
    (chart / "charts").mkdir(parents=True)
    (chart / "lib").mkdir()
    (chart / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": "app", "version": "1.0.0",
        "dependencies": [
            {"name": "db", "version": "^2.1.0", "repository": "https://charts.example.org"},
            {"name": "lib", "version": "0.x.x", "repository": "file://./lib"},
        ],
    }))  # fmt: skip
    (chart / "values.yaml").write_text("image: {tag: ''}\npodLabels: {}\n")
    (chart / "lib" / "Chart.yaml").write_text("apiVersion: v2\nname: lib\nversion: 0.3.0\n")
    if vendor_db:
        nested = {"db/charts/util/Chart.yaml": "apiVersion: v2\nname: util\nversion: 1.2.0\n",
                  "db/Chart.yaml": yaml.safe_dump({
                      "apiVersion": "v2", "name": "db", "version": "2.4.0",
                      "dependencies": [{"name": "util", "version": "~1.2.0",
                                        "repository": "https://charts.example.org"}]})}  # fmt: skip
        (chart / "charts" / "db-2.4.0.tgz").write_bytes(chart_archive("db", "2.4.0", nested))
    else:
        (chart / "charts" / ".gitkeep").write_text("")
    git("init", "--quiet", "--initial-branch=main", str(repo), cwd=root)
    git("add", "-A", cwd=repo)
    git("commit", "--quiet", "-m", "chart", cwd=repo)
    git("tag", "v1.0.0", cwd=repo)
    return repo


def tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_record_follows_every_dependency_into_the_source(tmp_path: Path) -> None:
    repo = chart_repo(tmp_path)
    out = tmp_path / "app.json"
    result = tool("record", "--git-dir", repo / ".git", "--repo-url", "https://git.example.org/app.git",
                  "--revision", "v1.0.0", "--path", "deploy/app", "-o", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(out.read_text())
    assert record["commit"] == git("rev-parse", "v1.0.0", cwd=repo)
    assert record["repoURL"] == "https://git.example.org/app.git"
    db, lib = record["dependencies"]
    assert (db["resolved_by"], db["version"]) == ("charts/db-2.4.0.tgz", "2.4.0")
    assert db["dependencies"][0]["resolved_by"] == "charts/db-2.4.0.tgz:charts/util/"
    assert db["values_paths"] == ["image", "image.registry", "image.repository"]
    assert (lib["resolved_by"], lib["version"]) == ("lib/", "0.3.0")
    assert record["values_paths"] == ["image", "image.tag", "podLabels"]
    assert record["values_open_maps"] == ["podLabels"]


def test_a_dependency_left_to_a_helm_repository_is_refused(tmp_path: Path) -> None:
    repo = chart_repo(tmp_path, vendor_db=False)
    result = tool("record", "--git-dir", repo / ".git", "--revision", "v1.0.0",
                  "--path", "deploy/app")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "dependency db ^2.1.0" in result.stderr
    assert "fetch it from https://charts.example.org" in result.stderr
    assert "vendor charts/db-<version>.tgz in your mirror" in result.stderr


def test_check_against_a_mirror_and_a_moved_tag(tmp_path: Path) -> None:
    repo = chart_repo(tmp_path)
    record = tmp_path / "app.json"
    url = "https://git.example.org/app.git"
    assert tool("record", "--git-dir", repo / ".git", "--repo-url", url, "--revision", "v1.0.0",
                "--path", "deploy/app", "-o", record).returncode == 0  # fmt: skip
    mirror = tmp_path / "mirror.git"  # the user's mirror: a plain clone, served over file://
    git("clone", "--quiet", "--mirror", str(repo), str(mirror), cwd=tmp_path)
    same = tool("check", record, "--url", mirror.as_uri())
    assert same.returncode == 0, same.stderr
    assert "matches" in same.stdout
    # Upstream moves the tag to a commit with other values: the mirror now differs.
    (repo / "deploy" / "app" / "values.yaml").write_text("image: {tag: '', pullPolicy: Always}\n")
    git("commit", "--quiet", "-am", "moved", cwd=repo)
    git("tag", "--force", "v1.0.0", cwd=repo)
    moved = tool("check", record, "--url", repo.as_uri())
    assert moved.returncode == 1
    assert "differs from" in moved.stderr and "commit" in moved.stderr
    assert "values_paths" in moved.stderr and moved.stderr.count("\n") == 1


def test_an_unreachable_source_is_one_line_and_exit_2(tmp_path: Path) -> None:
    record = tmp_path / "app.json"
    record.write_text(json.dumps({"repoURL": "x", "targetRevision": "v9", "path": "p"}))
    result = tool("check", record, "--url", (tmp_path / "nowhere.git").as_uri())
    assert result.returncode == 2
    assert result.stderr.startswith("chart-source: cannot fetch v9 from file://")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
