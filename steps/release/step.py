"""release: the quality gate, then the serving manifest committed and pushed to the gitops repo.

    python -m steps.release --evaluation /pfs/evaluate --output /pfs/out

Reads evaluate's metrics.json and provenance.json. Thresholds come from GATE_MIN_<METRIC> /
GATE_MAX_<METRIC>; the rest from steps.parameters.ReleaseParams: the gitops repository from
GITOPS_REPO (URL or path), GITOPS_BRANCH, GITOPS_PATH and GIT_AUTHOR ('Name <email>'); the
serving target from SERVING_TARGET: `seldon` (a Seldon Core v1 SeldonDeployment, the spec's)
or `kserve` (a KServe InferenceService).
The same commit removes the other target's manifest of the model, so switching targets is
one promotion and one revert. Writes release.json (decision, reasons, version, target,
manifest path, git commit) and, when promoted, the manifest (seldondeployment.yaml or
inferenceservice.yaml).

Exit status: 0 for a promotion and for a rejection (a model below the bar is a result, not a
crash); 1 for a misconfiguration or a missing input; 2 when git fails (unreachable remote,
rejected push), so the datum fails and datum_tries retries it. Rolling back is `git revert`
of the promotion commit in the gitops repository: ArgoCD then syncs the previous deployment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from steps.parameters import ReleaseParams
from steps.release import kserve, seldon
from steps.release.gate import Decision, decide
from steps.release.manifest import Release, manifest_path
from steps.release.publish import Author, publish, redact
from steps.reproducibility import provenance

# Each serving target: the manifest's kind (its file name) and how to write it.
TARGETS = {
    "seldon": (seldon.KIND, seldon.seldon_deployment),
    "kserve": (kserve.KIND, kserve.inference_service),
}


class ReleaseInputError(ValueError):
    pass


def serving_target(params: ReleaseParams) -> str:
    target = params.serving_target.strip().lower()
    if target not in TARGETS:
        raise ReleaseInputError(
            f"SERVING_TARGET={target!r} is not a serving target: use one of {', '.join(TARGETS)}"
        )
    return target


def read_evaluation(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        metrics = json.loads((folder / "metrics.json").read_text())
    except FileNotFoundError:
        raise ReleaseInputError(f"no metrics.json in {folder}: is it evaluate's output?") from None
    except ValueError as e:
        raise ReleaseInputError(f"{folder / 'metrics.json'} is not JSON: {e}") from None
    if not isinstance(metrics, dict):
        raise ReleaseInputError(f"{folder / 'metrics.json'} is not a JSON object")
    steps = provenance.upstream(folder)
    return metrics, steps


def release_of(
    metrics: Mapping[str, Any],
    steps: Mapping[str, Any],
    params: ReleaseParams,
    version_override: str | None,
) -> Release:
    version = version_override or provenance.commit_of(steps, "evaluate", "calibrate")
    if not version:
        raise ReleaseInputError(
            "evaluate's provenance.json names no calibrate commit (the model version): "
            "run release as a pipeline, or give --model-version"
        )
    name = params.deployment_name
    return Release(
        name=name,
        namespace=params.namespace,
        model_version=version,
        data_commit=provenance.commit_of(steps, "model", "transform"),
        pipeline_version=(steps.get("model") or {}).get("pipeline_version"),
        evaluate_commit=params.evaluate_commit,
        image=params.serving_image,
        model_uri=params.model_uri.format(version=version, name=name),
        uri_secret=params.model_uri_secret,
        metrics={k: float(v) for k, v in sorted(metrics.items()) if isinstance(v, int | float)},
    )


def commit_message(release: Release, decision: Decision, target: str = "seldon") -> str:
    shown = ("pixel_accuracy", "mean_iou", "mean_dice", "ece_raw", "ece_calibrated")
    lines = [
        f"release {release.name} {release.model_version}",
        "",
        "Promoted by the reproml release pipeline: " + "; ".join(decision.reasons),
        "",
        f"Serving target: {target} ({TARGETS[target][0]})",
        "",
        "Metrics (test split):",
        *(f"  {k}: {release.metrics[k]:.4f}" for k in shown if k in release.metrics),
        "",
        "Provenance:",
        f"  model version (calibrate commit): {release.model_version}",
        f"  data commit (transform): {release.data_commit or 'unknown'}",
        f"  model pipeline version: {release.pipeline_version or 'unknown'}",
        f"  evaluate commit: {release.evaluate_commit or 'unknown'}",
        f"  model URI: {release.model_uri}",
        "",
        "Roll back with `git revert` of this commit; ArgoCD syncs the previous deployment.",
    ]
    return "\n".join(lines) + "\n"


def run(evaluation: Path, out: Path, params: ReleaseParams, version: str | None) -> int:
    """The gate on evaluate's output, then the promotion where it passes."""
    target = serving_target(params)
    metrics, steps = read_evaluation(evaluation)
    release = release_of(metrics, steps, params, version)
    decision = decide(metrics, list(params.thresholds))
    result: dict[str, Any] = {
        "decision": decision.word,
        "reasons": decision.reasons,
        "thresholds": [t.to_json() for t in decision.thresholds],
        "version": release.model_version,
        "name": release.name,
        "target": target,
        "metrics": release.metrics,
        "provenance": {
            "model_version": release.model_version,
            "data_commit": release.data_commit,
            "pipeline_version": release.pipeline_version,
            "evaluate_commit": release.evaluate_commit,
            "steps": steps,
        },
        "manifest": None,
        "git_remote": None,
        "git_branch": None,
        "git_commit": None,
    }
    out.mkdir(parents=True, exist_ok=True)
    if decision.promote:
        kind, build = TARGETS[target]
        manifest = yaml.safe_dump(build(release), sort_keys=False)
        folder = params.gitops_path
        path = manifest_path(folder, release.name, kind)
        others = [manifest_path(folder, release.name, k) for k, _ in TARGETS.values() if k != kind]
        remote = params.gitops_repo
        if not remote:
            raise ReleaseInputError("GITOPS_REPO is not set: name the gitops repository")
        branch = params.gitops_branch
        published = publish(
            remote,
            branch,
            path,
            manifest,
            commit_message(release, decision, target),
            Author.parse(params.git_author),
            token=params.gitops_token,
            remove=others,
        )
        (out / f"{kind.lower()}.yaml").write_text(manifest)
        result.update(
            manifest=path,
            git_remote=redact(remote),
            git_branch=branch,
            git_commit=published.commit,
            already_promoted=not published.changed,
        )
    (out / "release.json").write_text(json.dumps(result, indent=2, sort_keys=True))
    summary = f"release: {decision.word} {release.name} {release.model_version}"
    if result["git_commit"]:
        summary += f" to {target} ({TARGETS[target][0]}, git commit "
        summary += f"{result['git_commit'][:12]} on {result['git_branch']})"
    print(summary + ": " + "; ".join(decision.reasons))  # noqa: T201
    return 0
