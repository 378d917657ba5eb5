"""The KServe InferenceService a release commits to git (serving.kserve.io/v1beta1).

Pure: a dict out, no I/O. Standard deployment mode (a plain Deployment and Service, no Knative
or Istio), the Open Inference Protocol (v2), and the same serving image as the Seldon target:
MLServer with steps.serving.UNetRuntime in a custom predictor container. KServe's storage
initializer copies STORAGE_URI (calibrate's commit on Pachyderm's S3 gateway) into
/mnt/models, with the gateway's endpoint and keys from the secrets of the predictor's service
account. The name stays from release to release, so clients keep one URL
(http://<name>-predictor.<namespace>/v2/models/<name>/infer); the labels, the annotations and
the container's environment carry the version, and a changed pod template rolls the pods over.
Argo CD's built-in InferenceService health check reports it Healthy once every condition is.
"""

from __future__ import annotations

from typing import Any

from steps.release.manifest import Release, annotations, labels, mlserver_env, resources

KIND = "InferenceService"
HTTP_PORT = 8080  # KServe's default container port: the Service sends port 80 here
GRPC_PORT = 8081
MODEL_DIR = "/mnt/models"  # where KServe's storage initializer puts STORAGE_URI


def inference_service(release: Release) -> dict[str, Any]:
    env = [
        # KServe reads these two: what to download, and which protocol the server speaks.
        {"name": "STORAGE_URI", "value": release.model_uri},
        {"name": "PROTOCOL", "value": "v2"},
        {"name": "MLSERVER_MODEL_NAME", "value": release.name},
        {"name": "MLSERVER_MODEL_URI", "value": MODEL_DIR},
        {"name": "MLSERVER_HTTP_PORT", "value": str(HTTP_PORT)},
        {"name": "MLSERVER_GRPC_PORT", "value": str(GRPC_PORT)},
        *mlserver_env(release),
    ]
    container = {
        "name": "kserve-container",  # the name KServe looks for in a custom predictor
        "image": release.image,
        "env": env,
        "ports": [{"containerPort": HTTP_PORT, "name": "http1", "protocol": "TCP"}],
        "readinessProbe": {
            "httpGet": {"path": f"/v2/models/{release.name}/ready", "port": HTTP_PORT},
            "periodSeconds": 5,
        },
        "resources": resources(),
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    predictor: dict[str, Any] = {
        "minReplicas": 1,
        "maxReplicas": 1,
        "labels": labels(release),
        "containers": [container],
    }
    if release.uri_secret:
        # KServe takes S3 credentials from the service account's secrets, whose annotations
        # name the endpoint (serving.kserve.io/s3-endpoint); gitops/rbac holds the account.
        predictor["serviceAccountName"] = release.uri_secret
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": KIND,
        "metadata": {
            "name": release.name,
            "namespace": release.namespace,
            "labels": labels(release),
            "annotations": {
                "serving.kserve.io/deploymentMode": "Standard",
                **annotations(release),
            },
        },
        "spec": {"predictor": predictor},
    }
