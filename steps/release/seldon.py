"""The SeldonDeployment a release commits to git (machinelearning.seldon.io/v1, protocol v2).

Pure: a dict out, no I/O. The deployment's name stays the same from release to release, so
clients keep one URL (/seldon/<namespace>/<name>/v2/models/<name>/infer); the predictor's name,
the labels and the annotations carry the model version (the calibrate commit), the data
commit and the pipeline version, and a new predictor name makes Seldon roll the pods over.
Seldon's storage initializer copies MODEL_URI into /mnt/models and sets the model's name,
URI and ports (9000 HTTP, 9500 gRPC) in the container's environment.
"""

from __future__ import annotations

from typing import Any

from steps.release.manifest import (
    Release,
    annotations,
    label_value,
    labels,
    mlserver_env,
    resources,
)

KIND = "SeldonDeployment"


def predictor_name(version: str) -> str:
    return label_value(f"v-{version[:12]}")


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
        "env": mlserver_env(release),
        "resources": resources(),
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": KIND,
        "metadata": {
            "name": release.name,
            "namespace": release.namespace,
            "labels": labels(release),
            "annotations": annotations(release),
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
