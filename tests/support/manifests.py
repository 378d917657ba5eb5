"""Support for the gitops tests: gitops/ rendered as Argo CD renders it, and the schemas.

Folders with a kustomization.yaml are built with `kubectl kustomize` (the load restrictor off,
as argocd-cm sets it); other YAML files are applied as they are. Variants of the environment
are rendered through a scratch overlay: the KServe component enabled, or the image registry
set to a mirror, exactly as a user would change the one line in git.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.support.repo import REPO_ROOT

GITOPS = REPO_ROOT / "gitops"
SCHEMAS = REPO_ROOT / "schemas"
KSERVE_COMPONENT = GITOPS / "components" / "kserve"
KUBERNETES_VERSION = "1.32.0"  # what the charts support; the strict schemas ship with the tool
CRD_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io-application-v1alpha1.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argoproj.io-appproject-v1alpha1.json",
    ("machinelearning.seldon.io/v1", "SeldonDeployment"): (
        "machinelearning.seldon.io-seldondeployment-v1.json"
    ),
    ("serving.kserve.io/v1beta1", "InferenceService"): (
        "serving.kserve.io-inferenceservice-v1beta1.json"
    ),
}
# The same kinds as Argo CD 2.14 (the last 2.x line) defined them.
ARGOCD_2_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io-application-v1alpha1-argocd-2.14.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argoproj.io-appproject-v1alpha1-argocd-2.14.json",
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
LOCAL_CONFIG = "config.kubernetes.io/local-config"


def kubectl() -> str:
    found = shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl is missing: `make setup` installs it (Debian package kubectl)")
    return found


def _kind(folder: Path) -> str:
    return str(yaml.safe_load((folder / "kustomization.yaml").read_text()).get("kind", ""))


def kustomize_roots() -> list[Path]:
    """Folders Argo CD builds with kustomize (components only build inside another one)."""
    roots = [p.parent for p in GITOPS.rglob("kustomization.yaml")]
    return sorted(r for r in roots if _kind(r) != "Component")


def components() -> list[Path]:
    roots = [p.parent for p in GITOPS.rglob("kustomization.yaml")]
    return sorted(r for r in roots if _kind(r) == "Component")


@cache
def _render(folder: str) -> str:
    result = subprocess.run(
        [kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", folder],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {folder}: {result.stderr}"
    return result.stdout


def render(folder: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(_render(str(folder))) if d]


def plain_files() -> list[Path]:
    """Manifests Argo CD applies as files: everything not under a kustomization."""
    roots = [p.parent for p in GITOPS.rglob("kustomization.yaml")]
    return sorted(
        p
        for p in GITOPS.rglob("*.yaml")
        if not any(root == p.parent or root in p.parents for root in roots)
    )


def resource_files() -> list[Path]:
    """Every file a kustomization or component lists as a resource."""
    files = []
    for folder in [p.parent for p in GITOPS.rglob("kustomization.yaml")]:
        spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
        files += [folder / r for r in spec.get("resources", []) if (folder / r).is_file()]
    return sorted(files)


def all_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in plain_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((str(path.relative_to(REPO_ROOT)), doc))
    for root in kustomize_roots():
        for doc in render(root):
            docs.append((f"{root.relative_to(REPO_ROOT)} (kustomize)", doc))
    return docs


def variant(tmp: Path, *, kserve: bool = False, registry: str | None = None) -> Path:
    """A copy of gitops/ with the KServe component enabled and/or the image registry set,
    by editing the same lines a user edits; returns its apps folder."""
    copy_root = tmp / "gitops"
    shutil.copytree(GITOPS, copy_root)
    apps = copy_root / "apps"
    kustomization = apps / "kustomization.yaml"
    text = kustomization.read_text()
    if kserve:
        enabled = text.replace("# components:\n# - ../components/kserve\n",
                               "components:\n- ../components/kserve\n")  # fmt: skip
        assert enabled != text, "the KServe component line is not in gitops/apps/kustomization"
        kustomization.write_text(enabled)
    if registry is not None:
        setting = apps / "image-registry-configmap.yaml"
        config = setting.read_text()
        changed = config.replace('registry: ""', f"registry: {json.dumps(registry)}")
        assert changed != config, 'the registry setting is not `registry: ""`'
        setting.write_text(changed)
    return apps


def applications(apps: Path = GITOPS / "apps") -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in render(apps)}


@cache
def crd_schema(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / "crds" / file).read_text())
    return loaded


def validate(doc: dict[str, Any], schemas: dict[tuple[str, str], str] = CRD_SCHEMAS) -> None:
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in schemas:
        jsonschema.Draft7Validator(crd_schema(schemas[key])).validate(doc)  # type: ignore[index]
    elif key in CORE_KINDS:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    else:
        raise AssertionError(f"unknown kind {key}: add its schema before using it")


def strict(schema: Any) -> Any:
    """A chart's values schema with unknown keys refused (it allows them), so typos fail."""
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


def chart_record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / "charts" / f"{name}.json").read_text())
    return loaded


def leaf_paths(values: Any, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        return [p for k, v in values.items() for p in leaf_paths(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        node = node[key]
    return node


def third_party_images(apps: dict[str, dict[str, Any]]) -> set[str]:
    """The images the charts will run, composed from the values as each chart composes them
    (Pachyderm: global.image.registry + repository; Seldon: registry/repository; KServe: the
    image and its tag)."""
    found: set[str] = set()
    if "pachyderm" in apps:
        v = apps["pachyderm"]["spec"]["source"]["helm"]["valuesObject"]
        registry, tag = v["global"]["image"]["registry"], v["pachd"]["image"]["tag"]
        found |= {
            f"{registry}{v['pachd']['image']['repository']}:{tag}",
            f"{registry}{v['pachd']['worker']['image']['repository']}:{tag}",
            *(f"{registry}{v[c]['image']['repository']}:{v[c]['image']['tag']}"
              for c in ("etcd", "pgbouncer", "proxy")),
        }  # fmt: skip
        pg = v["postgresql"]["image"]
        found.add(f"{pg['registry']}/{pg['repository']}:{pg['tag']}")
    if "seldon-core-operator" in apps:
        v = apps["seldon-core-operator"]["spec"]["source"]["helm"]["valuesObject"]
        for image in (v["image"], v["executor"]["image"]):
            found.add(f"{image['registry']}/{image['repository']}:{image['tag']}")
        found.add(v["storageInitializer"]["image"])
    if "kserve" in apps:
        v = apps["kserve"]["spec"]["source"]["helm"]["valuesObject"]["kserve"]
        for part in (v["controller"], v["storage"], v["agent"], v["router"]):
            found.add(f"{part['image']}:{part['tag']}")
        found.add(v["controller"]["rbacProxyImage"])
    return found


def mirror_list() -> list[str]:
    text = (REPO_ROOT / "images" / "third-party.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
