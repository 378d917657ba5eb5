"""What every serving target's manifest says about a release: one typed value, pure.

A release is promoted by committing one manifest to the gitops repository: a SeldonDeployment
(steps.release.seldon) or a KServe InferenceService (steps.release.kserve), chosen by
SERVING_TARGET. Both carry the same identity: the name stays from release to release (clients
keep one URL), and the labels and annotations carry the model version (the calibrate commit),
the data commit, the pipeline version and the metrics, so `make serve`, rollback and audits
read either alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

LABEL_PREFIX = "reproml.io"
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

# MLServer's inference worker processes in every served model: the serving image's
# settings.json, the released manifests and `make serve`. docs/performance.md measured 0, 1
# and 2 on 2 cores: 2 served the most requests at the lowest latency, for 2.2x the memory.
PARALLEL_WORKERS = 2


def resources() -> dict[str, dict[str, str]]:
    """The serving container's requests: a core per inference worker, and the memory the
    benchmark measured with them (1.3 GiB for two workers) with room to spare."""
    return {
        "requests": {"cpu": str(PARALLEL_WORKERS), "memory": "1536Mi"},
        "limits": {"memory": "2Gi"},
    }


@dataclass(frozen=True)
class Release:
    name: str  # the deployment, and the model name in the v2 URL
    namespace: str
    model_version: str  # the calibrate commit ID
    data_commit: str | None  # the transform commit the model was trained on
    pipeline_version: str | None  # the model pipeline's version (PPS_SPEC_COMMIT)
    evaluate_commit: str | None
    image: str  # the serving image (MLServer + steps.serving)
    model_uri: str  # where the storage initializer fetches calibrate's output from
    uri_secret: str | None  # Secret with the S3 gateway's endpoint and credentials
    metrics: dict[str, float]


def label_value(value: str | None) -> str:
    """A Kubernetes label value (63 characters, alphanumerics at the ends) or 'unknown'."""
    if not value:
        return "unknown"
    cleaned = re.sub(r"[^-A-Za-z0-9_.]", "-", value)[:63].strip("-_.")
    return cleaned if cleaned and _LABEL_VALUE.match(cleaned) else "unknown"


def labels(release: Release) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": release.name,
        "app.kubernetes.io/part-of": "reproml",
        f"{LABEL_PREFIX}/model-version": label_value(release.model_version),
        f"{LABEL_PREFIX}/data-commit": label_value(release.data_commit),
        f"{LABEL_PREFIX}/pipeline-version": label_value(release.pipeline_version),
    }


def annotations(release: Release) -> dict[str, str]:
    """The full, unshortened provenance (label values are capped at 63 characters)."""
    return {
        f"{LABEL_PREFIX}/model-version": release.model_version,
        f"{LABEL_PREFIX}/data-commit": release.data_commit or "",
        f"{LABEL_PREFIX}/pipeline-version": release.pipeline_version or "",
        f"{LABEL_PREFIX}/evaluate-commit": release.evaluate_commit or "",
        f"{LABEL_PREFIX}/metrics": json.dumps(release.metrics, sort_keys=True),
    }


def mlserver_env(release: Release) -> list[dict[str, str]]:
    """What the serving image needs from either target, beyond what the target sets itself."""
    return [
        {"name": "MLSERVER_MODEL_IMPLEMENTATION", "value": "steps.serving.UNetRuntime"},
        {"name": "MLSERVER_MODEL_VERSION", "value": release.model_version},
        {"name": "MLSERVER_PARALLEL_WORKERS", "value": str(PARALLEL_WORKERS)},
    ]


def manifest_path(folder: str, name: str, kind: str) -> str:
    """Where a release lives in the gitops repo: <folder>/<name>-<kind>.yaml."""
    return f"{folder.strip('/')}/{name}-{kind.lower()}.yaml"
