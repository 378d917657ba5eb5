"""Every manifest under gitops/, every spec and every Dockerfile, validated offline.

Core kinds against Kubernetes' strict schemas (kubernetes-validate); Application, AppProject
and SeldonDeployment against the strict CRD schemas (schemas/, vendored from the team's
snapshot); Helm values against the chart's schema; kustomize output as kubectl renders it;
anything of another kind fails. Then the rules the layout promises: one resource per file
named <name>-<kind>.yaml, sync waves in order, RBAC without wildcards, images in step with
the project version.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from steps.release import DEFAULTS as RELEASE_DEFAULTS
from tests.conftest import REPO_ROOT

GITOPS = REPO_ROOT / "gitops"
SCHEMAS = REPO_ROOT / "schemas"
SHARED = REPO_ROOT.parent / "shared" / "schemas"  # the team's snapshot, where present
KUBERNETES_VERSION = "1.32.0"  # what the charts support; the strict schemas ship with the tool
CRD_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io-application-v1alpha1.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argoproj.io-appproject-v1alpha1.json",
    ("machinelearning.seldon.io/v1", "SeldonDeployment"): (
        "machinelearning.seldon.io-seldondeployment-v1.json"
    ),
}
CORE_KINDS = {
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("batch/v1", "Job"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
}
VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
KUSTOMIZE_ROOTS = [p.parent for p in GITOPS.rglob("kustomization.yaml")]


def kubectl() -> str:
    found = shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl is missing: `make setup` installs it (Debian package kubectl)")
    return found


def render(folder: Path) -> list[dict[str, Any]]:
    # The specs live in pipelines/, outside the kustomization: ArgoCD gets the same option
    # from argocd-cm (kustomize.buildOptions).
    result = subprocess.run(
        [kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def plain_files() -> list[Path]:
    """Manifests ArgoCD applies as files: everything not under a kustomization."""
    return sorted(
        p
        for p in GITOPS.rglob("*.yaml")
        if not any(root == p.parent or root in p.parents for root in KUSTOMIZE_ROOTS)
    )


def all_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in plain_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((str(path.relative_to(REPO_ROOT)), doc))
    for root in KUSTOMIZE_ROOTS:
        for doc in render(root):
            docs.append((f"{root.relative_to(REPO_ROOT)} (kustomize)", doc))
    return docs


@cache
def crd_schema(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / "crds" / file).read_text())
    return loaded


def test_vendored_schemas_are_the_recorded_snapshot() -> None:
    recorded = re.findall(r"^([0-9a-f]{64})  (\S+)$", (SCHEMAS / "SOURCE.md").read_text(), re.M)
    assert len(recorded) == 4
    for digest, name in recorded:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
        shared = SHARED / name.replace("crds/", "crds/strict/")
        if shared.exists():  # on a team machine: still the same bytes as the snapshot
            assert shared.read_bytes() == (SCHEMAS / name).read_bytes(), name


def validate(doc: dict[str, Any]) -> None:
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CRD_SCHEMAS:
        jsonschema.Draft7Validator(crd_schema(CRD_SCHEMAS[key])).validate(doc)  # type: ignore[index]
    elif key in CORE_KINDS:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    else:
        raise AssertionError(f"unknown kind {key}: add its schema before using it")


def test_every_manifest_validates() -> None:
    docs = all_documents()
    kinds = {d["kind"] for _, d in docs}
    assert {"Application", "AppProject", "Namespace", "Role", "Job", "ConfigMap"} <= kinds
    for where, doc in docs:
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
            raise AssertionError(f"{where}: {doc['kind']} {doc['metadata']['name']}: {e}") from e


def test_a_typo_and_an_unknown_kind_fail() -> None:
    app = yaml.safe_load((GITOPS / "root-app.yaml").read_text())
    app["spec"]["syncPolicy"]["automatd"] = {}
    with pytest.raises(jsonschema.ValidationError, match="automatd"):
        validate(app)
    namespace = yaml.safe_load((GITOPS / "namespaces" / "pachyderm-namespace.yaml").read_text())
    namespace["metadata"]["lables"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(namespace)
    with pytest.raises(AssertionError, match="unknown kind"):
        validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


def test_one_resource_per_file_named_name_kind() -> None:
    for path in plain_files():
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(docs) == 1, f"{path}: one resource per file"
        doc = docs[0]
        if path == GITOPS / "root-app.yaml":  # the one file users apply, named for them
            continue
        assert path.name == f"{doc['metadata']['name']}-{doc['kind'].lower()}.yaml", path


def applications() -> dict[str, dict[str, Any]]:
    apps = {}
    for path in sorted((GITOPS / "apps").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        apps[doc["metadata"]["name"]] = doc
    return apps


def wave(doc: dict[str, Any]) -> int:
    return int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_app_of_apps_layout_and_sync_waves() -> None:
    root = yaml.safe_load((GITOPS / "root-app.yaml").read_text())
    assert root["kind"] == "Application" and root["spec"]["source"]["path"] == "gitops/apps"
    apps = applications()
    assert set(apps) == {
        "reproml",  # the AppProject
        "namespaces",
        "argocd-config",
        "pachyderm",
        "seldon-core-operator",
        "rbac",
        "pipelines",
        "serving",
    }
    w = {name: wave(doc) for name, doc in apps.items()}
    # The project first, namespaces before everything in them, operators (and their CRDs)
    # before what uses them, RBAC before the sync job, pipelines before serving.
    assert w["reproml"] < w["namespaces"] < w["pachyderm"] < w["rbac"] < w["pipelines"]
    assert w["seldon-core-operator"] < w["serving"] and w["argocd-config"] < w["serving"]
    assert w["pipelines"] < w["serving"]
    for name, doc in apps.items():
        if doc["kind"] != "Application":
            continue
        source = doc["spec"]["source"]
        assert doc["spec"]["project"] == "reproml"
        if "chart" not in source:  # a folder of this repository, which must exist
            assert source["repoURL"] == root["spec"]["source"]["repoURL"]
            assert (REPO_ROOT / source["path"]).is_dir(), name


def strict(schema: Any) -> Any:
    """The chart's values schema with unknown keys refused (it allows them), so typos fail."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def test_helm_charts_are_pinned_and_pachyderm_values_match_the_chart_schema() -> None:
    apps = applications()
    pachyderm = apps["pachyderm"]["spec"]["source"]
    assert (pachyderm["repoURL"], pachyderm["chart"], pachyderm["targetRevision"]) == (
        "https://helm.pachyderm.com",
        "pachyderm",
        "2.11.5",
    )
    values = pachyderm["helm"]["valuesObject"]
    schema = json.loads((SCHEMAS / "helm" / "pachyderm-values.schema.json").read_text())
    jsonschema.Draft7Validator(strict(schema)).validate(values)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(strict(schema)).validate({**values, "pachdd": {}})
    seldon = apps["seldon-core-operator"]["spec"]["source"]
    assert seldon["chart"] == "seldon-core-operator" and seldon["targetRevision"] == "1.17.1"


def test_rbac_is_least_privilege() -> None:
    roles = [d for _, d in all_documents() if d["kind"] in ("Role", "ClusterRole")]
    bindings = [d for _, d in all_documents() if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert {r["metadata"]["name"] for r in roles} == {"release", "pipeline-sync"}
    assert all(r["kind"] == "Role" for r in roles)  # namespaced only
    for role in roles:
        for rule in role["rules"]:
            for field in ("verbs", "resources", "apiGroups"):
                assert "*" not in rule.get(field, []), (role["metadata"]["name"], field)
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, role["metadata"]["name"]
    for binding in bindings:
        assert binding["roleRef"]["name"] != "cluster-admin"
        assert binding["roleRef"]["kind"] == "Role"


def test_pipelines_reach_the_cluster_through_the_configmap_and_the_postsync_job() -> None:
    rendered = render(GITOPS / "pipelines")
    config = next(d for d in rendered if d["kind"] == "ConfigMap")
    assert set(config["data"]) == {p.name for p in (REPO_ROOT / "pipelines").glob("*.yaml")}
    for name, text in config["data"].items():
        assert text == (REPO_ROOT / "pipelines" / name).read_text()
    job = next(d for d in rendered if d["kind"] == "Job")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:4] == ["python3", "-m", "pachlite", "deploy"]
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "pipeline-sync"
    # The command the Job runs parses here, on the same specs, up to reaching pachd.
    mount = next(
        m["mountPath"]
        for m in job["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        if m["name"] == "specs"
    )
    assert command[-1] == mount


def test_release_pushes_where_the_serving_app_looks() -> None:
    release = yaml.safe_load((REPO_ROOT / "pipelines" / "release.yaml").read_text())
    env = release["transform"]["env"]
    serving = applications()["serving"]["spec"]
    assert env["GITOPS_REPO"] == serving["source"]["repoURL"]
    assert env["GITOPS_BRANCH"] == serving["source"]["targetRevision"]
    assert env["GITOPS_PATH"] == serving["source"]["path"]
    assert env["SERVING_NAMESPACE"] == serving["destination"]["namespace"]


def lua_health(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    import lupa

    config = yaml.safe_load((GITOPS / "argocd-config" / "argocd-cm-configmap.yaml").read_text())
    script = config["data"][f"resource.customizations.health.{kind}"]
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    as_lua = lua.eval("function(f) return f end")
    result = lua.execute(
        "local obj = ...\n" + script, as_lua(lua.table_from(_to_lua(lua, obj)))
    )  # fmt: skip
    return dict(result)


def _to_lua(lua: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (lua.table_from(_to_lua(lua, v)) if isinstance(v, dict) else v)
                for k, v in value.items()}  # fmt: skip
    return value


def test_seldon_health_check_is_healthy_only_when_available() -> None:
    kind = "machinelearning.seldon.io_SeldonDeployment"
    assert lua_health(kind, {"status": {"state": "Available"}})["status"] == "Healthy"
    assert lua_health(kind, {"status": {"state": "Creating"}})["status"] == "Progressing"
    assert lua_health(kind, {"metadata": {"name": "x"}})["status"] == "Progressing"
    failed = lua_health(kind, {"status": {"state": "Failed", "description": "bad image"}})
    assert failed == {"status": "Degraded", "message": "bad image"}
    app = lua_health("argoproj.io_Application", {"status": {"health": {"status": "Healthy"}}})
    assert app["status"] == "Healthy"


# Images -------------------------------------------------------------------------------------

DOCKERFILES = sorted((REPO_ROOT / "images").glob("*.Dockerfile"))


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
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"


def image_references() -> list[tuple[str, str]]:
    refs = []
    for path in sorted((REPO_ROOT / "pipelines").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        refs.append((path.name, spec["transform"]["image"]))
        env = spec["transform"].get("env") or {}
        refs += [(path.name, v) for k, v in env.items() if k.endswith("_IMAGE")]
    for where, doc in all_documents():
        text = json.dumps(doc)
        refs += [(where, m) for m in re.findall(r'"image": "([^"]+)"', text)]
    refs.append(("steps/release.py", RELEASE_DEFAULTS["SERVING_IMAGE"]))
    return refs


def test_every_image_reference_uses_the_project_version() -> None:
    refs = image_references()
    names = {ref.split(":")[0] for _, ref in refs}
    assert names == {"reproml/steps-cpu", "reproml/steps-gpu", "reproml/serving"}
    for where, ref in refs:
        assert ref.endswith(f":{VERSION}"), f"{where}: {ref} is not at version {VERSION}"
    for name in names:  # every image has its Dockerfile
        assert (REPO_ROOT / "images" / f"{name.split('/')[1]}.Dockerfile").is_file()
