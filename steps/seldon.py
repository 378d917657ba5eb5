"""The SeldonDeployment a release commits to git (machinelearning.seldon.io/v1, protocol v2).

Pure: a dict out, no I/O. The deployment's name stays the same from release to release, so
clients keep one URL (/seldon/<namespace>/<name>/v2/models/<name>/infer); the predictor's name,
the labels and the annotations carry the model version (the calibrate commit), the data
commit and the pipeline version, and a new predictor name makes Seldon roll the pods over.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

LABEL_PREFIX = "reproml.io"
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Release:
    name: str  # the deployment, and the model name in the v2 URL
    namespace: str
    model_version: str  # the calibrate commit ID
    data_commit: str | None  # the transform commit the model was trained on
    pipeline_version: str | None  # the model pipeline's version (PPS_SPEC_COMMIT)
    evaluate_commit: str | None
    image: str  # the serving image (MLServer + steps.serving)
    model_uri: str  # where Seldon's storage initializer fetches calibrate's output from
    uri_secret: str | None  # Secret with the S3 gateway's endpoint and credentials
    metrics: dict[str, float]


def label_value(value: str | None) -> str:
    """A Kubernetes label value (63 characters, alphanumerics at the ends) or 'unknown'."""
    if not value:
        return "unknown"
    cleaned = re.sub(r"[^-A-Za-z0-9_.]", "-", value)[:63].strip("-_.")
    return cleaned if cleaned and _LABEL_VALUE.match(cleaned) else "unknown"


def predictor_name(version: str) -> str:
    return label_value(f"v-{version[:12]}")


def labels(release: Release) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": release.name,
        "app.kubernetes.io/part-of": "reproml",
        f"{LABEL_PREFIX}/model-version": label_value(release.model_version),
        f"{LABEL_PREFIX}/data-commit": label_value(release.data_commit),
        f"{LABEL_PREFIX}/pipeline-version": label_value(release.pipeline_version),
    }


def seldon_deployment(release: Release) -> dict[str, Any]:
    graph: dict[str, Any] = {
        "name": release.name,
        "type": "MODEL",
        "modelUri": release.model_uri,
    }
    if release.uri_secret:
        graph["envSecretRefName"] = release.uri_secret
    container = {
        "name": release.name,  # matches graph.name: Seldon wires this container to the node
        "image": release.image,
        "env": [
            {"name": "MLSERVER_MODEL_IMPLEMENTATION", "value": "steps.serving.UNetRuntime"},
            {"name": "MLSERVER_MODEL_VERSION", "value": release.model_version},
            # MLServer 1.7.1's worker pool dies under recent uvloop: infer in the main process.
            {"name": "MLSERVER_PARALLEL_WORKERS", "value": "0"},
        ],
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": {
            "name": release.name,
            "namespace": release.namespace,
            "labels": labels(release),
            "annotations": {
                f"{LABEL_PREFIX}/model-version": release.model_version,
                f"{LABEL_PREFIX}/data-commit": release.data_commit or "",
                f"{LABEL_PREFIX}/pipeline-version": release.pipeline_version or "",
                f"{LABEL_PREFIX}/evaluate-commit": release.evaluate_commit or "",
                f"{LABEL_PREFIX}/metrics": json.dumps(release.metrics, sort_keys=True),
            },
        },
        "spec": {
            "name": release.name,
            "protocol": "v2",
            "annotations": {"seldon.io/no-engine": "true"},
            "predictors": [
                {
                    "name": predictor_name(release.model_version),
                    "replicas": 1,
                    "labels": labels(release),
                    "graph": graph,
                    "componentSpecs": [{"spec": {"containers": [container]}}],
                }
            ],
        },
    }


def manifest_path(folder: str, name: str) -> str:
    """Where the deployment lives in the gitops repo: <folder>/<name>-seldondeployment.yaml."""
    return f"{folder.strip('/')}/{name}-seldondeployment.yaml"
