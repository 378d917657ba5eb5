"""Every manifest under gitops/, validated offline, with the KServe component on and off.

Core kinds against Kubernetes' strict schemas (kubernetes-validate); Application, AppProject,
SeldonDeployment and InferenceService against the strict CRD schemas in schemas/ (Argo CD's
kinds against both 3.5 and 2.14); kustomize output as kubectl renders it; anything of another
kind fails. Then the rules the layout promises: one resource per file named
<name>-<kind>.yaml, sync waves in order, RBAC without wildcards.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from steps.parameters import spec_env
from steps.release.step import TARGETS
from tests.support.manifests import (
    ARGOCD_2_SCHEMAS,
    GITOPS,
    LOCAL_CONFIG,
    SCHEMAS,
    all_documents,
    applications,
    components,
    plain_files,
    render,
    resource_files,
    validate,
    variant,
)
from tests.support.repo import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared" / "schemas"  # the team's snapshot, where present

# What the release step reads where its environment lacks a variable: its spec's env.
RELEASE_DEFAULTS = spec_env("release")


def test_vendored_schemas_are_the_recorded_snapshot() -> None:
    recorded = re.findall(r"^([0-9a-f]{64})  (\S+)$", (SCHEMAS / "SOURCE.md").read_text(), re.M)
    vendored = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.glob("*/*.json")}
    vendored -= {str(p.relative_to(SCHEMAS)) for p in (SCHEMAS / "charts").glob("*.json")}
    assert {name for _, name in recorded} == vendored  # every schema has its digest
    for digest, name in recorded:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
        shared = SHARED / name.replace("crds/", "crds/strict/")
        if shared.exists():  # on a team machine: still the same bytes as the snapshot
            assert shared.read_bytes() == (SCHEMAS / name).read_bytes(), name


def test_every_manifest_validates() -> None:
    docs = all_documents()
    kinds = {d["kind"] for _, d in docs}
    assert {"Application", "AppProject", "Namespace", "Role", "Job", "ConfigMap"} <= kinds
    for where, doc in docs:
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
            raise AssertionError(f"{where}: {doc['kind']} {doc['metadata']['name']}: {e}") from e


def test_the_kserve_component_validates_too(tmp_path: Path) -> None:
    rendered = render(variant(tmp_path, kserve=True))
    names = {d["metadata"]["name"] for d in rendered}
    assert {"kserve-crd", "kserve"} <= names
    for doc in rendered:
        validate(doc)
    assert components() == [GITOPS / "components" / "kserve"]


def test_applications_also_validate_against_argo_cd_2_14(tmp_path: Path) -> None:
    """The environment names Argo CD 3.5 as its target; nothing in it needs 3.x fields."""
    docs = [d for _, d in all_documents()] + render(variant(tmp_path, kserve=True))
    argo = [d for d in docs if (d["apiVersion"], d["kind"]) in ARGOCD_2_SCHEMAS]
    assert len(argo) >= 10
    for doc in argo:
        validate(doc, ARGOCD_2_SCHEMAS)


def test_the_registry_setting_never_reaches_the_cluster() -> None:
    rendered = render(GITOPS / "apps")
    assert not any(LOCAL_CONFIG in d["metadata"].get("annotations", {}) for d in rendered)
    assert "image-registry" not in {d["metadata"]["name"] for d in rendered}


def test_a_typo_and_an_unknown_kind_fail() -> None:
    app = yaml.safe_load((GITOPS / "root-app.yaml").read_text())
    app["spec"]["syncPolicy"]["automatd"] = {}
    with pytest.raises(jsonschema.ValidationError, match="automatd"):
        validate(app)
    with pytest.raises(jsonschema.ValidationError, match="automatd"):
        validate(app, ARGOCD_2_SCHEMAS)
    namespace = yaml.safe_load((GITOPS / "namespaces" / "pachyderm-namespace.yaml").read_text())
    namespace["metadata"]["lables"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(namespace)
    with pytest.raises(AssertionError, match="unknown kind"):
        validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


def test_one_resource_per_file_named_name_kind() -> None:
    for path in plain_files() + resource_files():
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(docs) == 1, f"{path}: one resource per file"
        doc = docs[0]
        if path == GITOPS / "root-app.yaml":  # the one file users apply, named for them
            continue
        assert path.name == f"{doc['metadata']['name']}-{doc['kind'].lower()}.yaml", path


def wave(doc: dict[str, Any]) -> int:
    return int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_app_of_apps_layout_and_sync_waves(tmp_path: Path) -> None:
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
    with_kserve = applications(variant(tmp_path, kserve=True))
    assert set(with_kserve) == set(apps) | {"kserve-crd", "kserve"}
    w = {name: wave(doc) for name, doc in with_kserve.items()}
    # The project first, namespaces before everything in them, operators (and their CRDs)
    # before what uses them, RBAC before the sync job, pipelines before serving.
    assert w["reproml"] < w["namespaces"] < w["pachyderm"] < w["rbac"] < w["pipelines"]
    assert w["seldon-core-operator"] < w["serving"] and w["argocd-config"] < w["serving"]
    assert w["kserve-crd"] < w["kserve"] < w["serving"]
    assert w["pipelines"] < w["serving"]
    for name, doc in with_kserve.items():
        if doc["kind"] != "Application":
            continue
        source = doc["spec"]["source"]
        assert doc["spec"]["project"] == "reproml"
        if source["repoURL"] == root["spec"]["source"]["repoURL"]:  # a folder of this repo
            assert (REPO_ROOT / source["path"]).is_dir(), name


def test_argocd_config_is_applied_and_compared_server_side() -> None:
    """argocd-cm holds keys the Argo CD install wrote (3.x's default resource exclusions and
    ignored updates): applying our few keys server-side leaves those alone."""
    app = applications()["argocd-config"]
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]
    compare = app["metadata"]["annotations"]["argocd.argoproj.io/compare-options"]
    assert "ServerSideDiff=true" in compare
    config = yaml.safe_load((GITOPS / "argocd-config" / "argocd-cm-configmap.yaml").read_text())
    assert not any(k.startswith(("resource.exclusions", "resource.customizations.ignore"))
                   for k in config["data"])  # fmt: skip
    # KServe's InferenceService keeps Argo CD's built-in health check.
    assert not any("serving.kserve.io" in k for k in config["data"])


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
    release = next(r for r in roles if r["metadata"]["name"] == "release")
    readable = {(g, r) for rule in release["rules"] for g in rule["apiGroups"]
                for r in rule["resources"]}  # fmt: skip
    assert readable == {("machinelearning.seldon.io", "seldondeployments"),
                        ("serving.kserve.io", "inferenceservices")}  # fmt: skip


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
    assert env["SERVING_TARGET"] in TARGETS and RELEASE_DEFAULTS["SERVING_TARGET"] == "seldon"
    # An InferenceService's pods run as the account that lists the S3 gateway's secret.
    account = next(d for _, d in all_documents() if d["kind"] == "ServiceAccount"
                   and d["metadata"]["namespace"] == env["SERVING_NAMESPACE"])  # fmt: skip
    assert account["metadata"]["name"] == env["MODEL_URI_SECRET"]
    assert account["secrets"] == [{"name": env["MODEL_URI_SECRET"]}]
