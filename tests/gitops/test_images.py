"""Images: the project's own, pinned and in step with its version; the third-party ones, listed
once (images/third-party.txt, what `make mirror-images` copies) and pointed at a mirror by
one setting; every Dockerfile hadolint-clean, pinned and non-root."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from steps.parameters import spec_env
from steps.release.manifest import PARALLEL_WORKERS
from tests.support.manifests import (
    GITOPS,
    VERSION,
    all_documents,
    applications,
    lookup,
    mirror_list,
    render,
    third_party_images,
    variant,
)
from tests.support.repo import REPO_ROOT

DOCKERFILES = sorted((REPO_ROOT / "images").glob("*.Dockerfile"))
MIRROR = "registry.example.com/mirror/"


def base_images() -> set[str]:
    """What the Dockerfiles build FROM, with the mirror argument left empty (the default)."""
    found = set()
    for dockerfile in DOCKERFILES:
        for base in re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M):
            found.add(base.replace("${IMAGE_MIRROR}", ""))
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_are_hadolint_clean_pinned_and_non_root(dockerfile: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(dockerfile)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = dockerfile.read_text()
    for base in re.findall(r"^FROM\s+(\S+)", text, re.M):
        assert re.search(r":\d[\w.-]*$", base), f"{base}: pin the base image's version"
        assert base.startswith("${IMAGE_MIRROR}"), f"{base}: build it from IMAGE_MIRROR too"
    assert re.search(r"^ARG IMAGE_MIRROR=$", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"


def project_image_references() -> list[tuple[str, str]]:
    refs = []
    for path in sorted((REPO_ROOT / "pipelines").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        refs.append((path.name, spec["transform"]["image"]))
        env = spec["transform"].get("env") or {}
        refs += [(path.name, v) for k, v in env.items() if k.endswith("_IMAGE")]
    for where, doc in all_documents():
        if doc["kind"] == "Application":
            continue  # the charts' images are third-party (below)
        text = json.dumps(doc)
        refs += [(where, m) for m in re.findall(r'"image": "([^"]+)"', text)]
    # What the release step serves when its environment names no image: the spec's.
    refs.append(("steps.parameters (release.yaml)", spec_env("release")["SERVING_IMAGE"]))
    return refs


def test_every_project_image_reference_uses_the_project_version() -> None:
    refs = project_image_references()
    names = {ref.split(":")[0] for _, ref in refs}
    assert names == {"reproml/steps-cpu", "reproml/steps-gpu", "reproml/serving"}
    for where, ref in refs:
        assert ref.endswith(f":{VERSION}"), f"{where}: {ref} is not at version {VERSION}"
    for name in names:  # every image has its Dockerfile
        assert (REPO_ROOT / "images" / f"{name.split('/')[1]}.Dockerfile").is_file()


def test_the_mirror_list_is_every_third_party_image(tmp_path: Path) -> None:
    listed = mirror_list()
    assert len(listed) == len(set(listed))
    used = third_party_images(applications(variant(tmp_path, kserve=True))) | base_images()
    assert set(listed) == used
    for image in listed:  # full names, pinned: a mirror keeps them apart and unchanged
        assert re.fullmatch(r"(docker\.io|quay\.io)/[a-z0-9./_-]+:[\w.-]+", image), image
        assert not image.endswith(":latest"), image


def test_pachyderm_images_are_pinned_to_the_chart_tag() -> None:
    """The chart at the git tag calls itself 2.11.0 (the release job stamps the version when
    it packages it), so an unset tag would deploy pachd 2.11.0: the tag must be explicit."""
    app = applications()["pachyderm"]["spec"]["source"]
    assert app["helm"]["valuesObject"]["pachd"]["image"]["tag"] == app["targetRevision"][1:]


def test_one_setting_points_every_third_party_image_at_the_mirror(tmp_path: Path) -> None:
    upstream = third_party_images(applications(variant(tmp_path / "a", kserve=True)))
    mirrored = third_party_images(
        applications(variant(tmp_path / "b", kserve=True, registry=MIRROR))
    )
    assert mirrored == {MIRROR + image for image in upstream}
    # Nothing else moved: the two renderings differ only where an image is named.
    plain = render(variant(tmp_path / "c", kserve=True))
    moved = render(variant(tmp_path / "d", kserve=True, registry=MIRROR))
    assert json.dumps(plain).count(MIRROR) == 0
    assert json.dumps(moved).replace(MIRROR, "") == json.dumps(plain)


def test_every_replacement_target_names_its_registry() -> None:
    """A replacement puts the setting before the registry host it splits on; a field without
    that host would be overwritten whole instead, so each must start with it."""
    specs = [GITOPS / "apps" / "kustomization.yaml",
             GITOPS / "components" / "kserve" / "kustomization.yaml"]  # fmt: skip
    checked = 0
    for spec_file in specs:
        spec = yaml.safe_load(spec_file.read_text())
        for replacement in spec["replacements"]:
            assert replacement["source"]["name"] == "image-registry"
            for target in replacement["targets"]:
                host = target["options"]["delimiter"].rstrip("/")
                assert target["options"]["index"] == 0
                doc = next(
                    yaml.safe_load(p.read_text())
                    for p in spec_file.parent.glob("*-application.yaml")
                    if yaml.safe_load(p.read_text())["metadata"]["name"] == target["select"]["name"]
                )
                for path in target["fieldPaths"]:
                    value = lookup(doc, path)
                    assert value.startswith(host), (spec_file.name, path, value)
                    checked += 1
    assert checked == 10  # 5 fields for Pachyderm and Seldon, 5 for KServe


def test_the_serving_image_runs_the_benchmarked_worker_count() -> None:
    dockerfile = (REPO_ROOT / "images" / "serving.Dockerfile").read_text()
    assert f"MLSERVER_PARALLEL_WORKERS={PARALLEL_WORKERS}" in dockerfile
    settings = json.loads(dockerfile.split("printf '")[1].split("\\n'")[0])
    assert settings["parallel_workers"] == PARALLEL_WORKERS


def test_mirror_images_refuses_in_one_line_without_a_docker_engine(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)  # a docker CLI with no engine behind it, as on this machine
    for target in (["mirror-images"], ["mirror-images", "REGISTRY=registry.example.com/m"]):
        result = subprocess.run(
            ["make", "--no-print-directory", *target], cwd=REPO_ROOT, env=env,
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode != 0
        first = result.stderr.splitlines()[0]
        assert first == "error: no Docker engine here; copy the images where one runs"
        assert "Traceback" not in result.stderr
