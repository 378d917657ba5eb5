"""release: the quality gate, then the serving manifest committed and pushed to the gitops repo.

    python -m steps.release --evaluation /pfs/evaluate --output /pfs/out

Reads evaluate's metrics.json and provenance.json. Thresholds come from GATE_MIN_<METRIC> /
GATE_MAX_<METRIC>; the gitops repository from GITOPS_REPO (URL or path), GITOPS_BRANCH,
GITOPS_PATH and GIT_AUTHOR ('Name <email>'); the serving target from SERVING_TARGET: `seldon`
(a Seldon Core v1 SeldonDeployment, the default) or `kserve` (a KServe InferenceService).
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

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from steps import kserve, provenance, seldon
from steps.gate import Decision, GateConfigError, decide, thresholds_from
from steps.gitpublish import Author, PublishError, publish, redact
from steps.promotion import Release, manifest_path

# Each serving target: the manifest's kind (its file name) and how to write it.
TARGETS = {
    "seldon": (seldon.KIND, seldon.seldon_deployment),
    "kserve": (kserve.KIND, kserve.inference_service),
}

DEFAULTS = {
    "DEPLOYMENT_NAME": "pets-unet",
    "SERVING_NAMESPACE": "reproml-serving",
    "SERVING_IMAGE": "reproml/serving:0.1.0",
    # Pachyderm's S3 gateway names a commit's content <commit>.<branch>.<repo>.<project>.
    "MODEL_URI": "s3://{version}.master.calibrate.default/",
    "MODEL_URI_SECRET": "pachyderm-s3-gateway",
    "GITOPS_BRANCH": "main",
    "GITOPS_PATH": "gitops/serving",
    "GIT_AUTHOR": "reproml release <release@reproml.invalid>",
    "SERVING_TARGET": "seldon",
}


class ReleaseInputError(ValueError):
    pass


def setting(env: Mapping[str, str], key: str) -> str:
    return env.get(key) or DEFAULTS[key]


def serving_target(env: Mapping[str, str]) -> str:
    target = setting(env, "SERVING_TARGET").strip().lower()
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
    env: Mapping[str, str],
    version_override: str | None,
) -> Release:
    version = version_override or provenance.commit_of(steps, "evaluate", "calibrate")
    if not version:
        raise ReleaseInputError(
            "evaluate's provenance.json names no calibrate commit (the model version): "
            "run release as a pipeline, or give --model-version"
        )
    name = setting(env, "DEPLOYMENT_NAME")
    uri_secret = env.get("MODEL_URI_SECRET", DEFAULTS["MODEL_URI_SECRET"]) or None
    return Release(
        name=name,
        namespace=setting(env, "SERVING_NAMESPACE"),
        model_version=version,
        data_commit=provenance.commit_of(steps, "model", "transform"),
        pipeline_version=(steps.get("model") or {}).get("pipeline_version"),
        evaluate_commit=env.get("evaluate_COMMIT"),
        image=setting(env, "SERVING_IMAGE"),
        model_uri=setting(env, "MODEL_URI").format(version=version, name=name),
        uri_secret=uri_secret,
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


def run(evaluation: Path, out: Path, env: Mapping[str, str], version: str | None) -> int:
    target = serving_target(env)
    metrics, steps = read_evaluation(evaluation)
    release = release_of(metrics, steps, env, version)
    decision = decide(metrics, thresholds_from(env))
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
        folder = setting(env, "GITOPS_PATH")
        path = manifest_path(folder, release.name, kind)
        others = [manifest_path(folder, release.name, k) for k, _ in TARGETS.values() if k != kind]
        remote = env.get("GITOPS_REPO")
        if not remote:
            raise ReleaseInputError("GITOPS_REPO is not set: name the gitops repository")
        branch = setting(env, "GITOPS_BRANCH")
        published = publish(
            remote,
            branch,
            path,
            manifest,
            commit_message(release, decision, target),
            Author.parse(setting(env, "GIT_AUTHOR")),
            token=env.get("GITOPS_TOKEN") or None,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluation", required=True, help="evaluate's output (/pfs/evaluate)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--model-version", help="the calibrate commit, if provenance lacks it")
    args = parser.parse_args(argv)
    try:
        return run(Path(args.evaluation), Path(args.output), os.environ, args.model_version)
    except (ReleaseInputError, GateConfigError) as e:
        print(f"release: {e}", file=sys.stderr)  # noqa: T201
        return 1
    except PublishError as e:
        print(f"release: {e}; nothing was promoted (the datum will be retried)", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main())
