"""release: the quality gate, the serving manifests (SeldonDeployment, InferenceService), and
promotion through a real bare git repo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from pachlite import Client
from pachlite.model import DatumState, JobState
from steps.release.gate import GateConfigError, Threshold, decide, thresholds_from
from steps.release.kserve import inference_service
from steps.release.manifest import PARALLEL_WORKERS, label_value
from steps.release.publish import redact
from steps.release.seldon import seldon_deployment
from tests.support.repo import REPO_ROOT
from tests.support.steps.releases import (
    CAL,
    DATA,
    GATE,
    GOOD,
    SPEC,
    a_release,
    bare_repo,
    evaluation,
    git,
    revert,
)

STRICT_SCHEMA = (
    REPO_ROOT / "schemas" / "crds" / "machinelearning.seldon.io-seldondeployment-v1.json"
)
KSERVE_SCHEMA = REPO_ROOT / "schemas" / "crds" / "serving.kserve.io-inferenceservice-v1beta1.json"
SELDON_PATH = "gitops/serving/pets-unet-seldondeployment.yaml"
KSERVE_PATH = "gitops/serving/pets-unet-inferenceservice.yaml"


def release(evaluate: Path, out: Path, remote: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steps.release", "--evaluation", evaluate, "--output", out],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "GITOPS_REPO": remote,
            "GIT_AUTHOR": "Release Bot <bot@example.org>",
            **GATE,
            **env,
        },
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )


def remote_file(remote: Path, path: str) -> str:
    return git("--git-dir", str(remote), "show", f"main:{path}")


# The gate -----------------------------------------------------------------------------------


def test_thresholds_come_from_the_environment() -> None:
    found = thresholds_from({"GATE_MIN_MEAN_IOU": "0.5", "GATE_MAX_ECE": "0.1", "PATH": "/bin"})
    assert found == [Threshold("ece", "max", 0.1), Threshold("mean_iou", "min", 0.5)]
    with pytest.raises(GateConfigError, match="GATE_MIN_MEAN_IOU='high' is not a number"):
        thresholds_from({"GATE_MIN_MEAN_IOU": "high"})


def test_gate_passes_and_fails_with_reasons() -> None:
    thresholds = thresholds_from(GATE)
    assert decide(GOOD, thresholds).promote
    bad = decide({**GOOD, "mean_iou": 0.3, "ece_calibrated": 0.2}, thresholds)
    assert not bad.promote
    assert bad.reasons == [
        "ece_calibrated 0.2000 is above the maximum 0.05",
        "mean_iou 0.3000 is below the minimum 0.5",
    ]
    assert not decide({**GOOD, "mean_iou": float("nan")}, thresholds).promote


def test_gate_refuses_a_typo_and_an_empty_configuration() -> None:
    with pytest.raises(GateConfigError, match=r"mean_iuo, which metrics.json does not have"):
        decide(GOOD, thresholds_from({"GATE_MIN_MEAN_IUO": "0.5"}))
    with pytest.raises(GateConfigError, match="no thresholds"):
        decide(GOOD, [])


# The manifest ---------------------------------------------------------------------------------


def test_manifest_validates_against_the_strict_seldon_schema() -> None:
    schema = json.loads(STRICT_SCHEMA.read_text())
    manifest = seldon_deployment(a_release())
    jsonschema.Draft7Validator(schema).validate(manifest)
    assert manifest["spec"]["protocol"] == "v2"
    labels = manifest["metadata"]["labels"]
    assert labels["reproml.io/model-version"] == CAL
    assert labels["reproml.io/data-commit"] == DATA
    assert labels["reproml.io/pipeline-version"] == SPEC
    assert manifest["spec"]["predictors"][0]["name"] == f"v-{CAL[:12]}"
    # The strict schema is what catches a typo: prove it does.
    manifest["spec"]["predictors"][0]["grpah"] = {}
    with pytest.raises(jsonschema.ValidationError, match="grpah"):
        jsonschema.Draft7Validator(schema).validate(manifest)


def test_inference_service_validates_against_the_strict_kserve_schema() -> None:
    schema = json.loads(KSERVE_SCHEMA.read_text())
    manifest = inference_service(a_release())
    jsonschema.Draft7Validator(schema).validate(manifest)
    assert manifest["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    assert manifest["metadata"]["annotations"]["reproml.io/model-version"] == CAL
    assert manifest["metadata"]["labels"]["reproml.io/data-commit"] == DATA
    predictor = manifest["spec"]["predictor"]
    assert predictor["serviceAccountName"] == "pachyderm-s3-gateway"
    (container,) = predictor["containers"]
    assert container["name"] == "kserve-container" and container["image"] == "reproml/serving:0.1.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["STORAGE_URI"] == f"s3://{CAL}.master.calibrate.default/"  # the S3 gateway
    assert env["PROTOCOL"] == "v2"  # the Open Inference Protocol
    assert env["MLSERVER_MODEL_URI"] == "/mnt/models"
    assert env["MLSERVER_MODEL_IMPLEMENTATION"] == "steps.serving.UNetRuntime"
    assert env["MLSERVER_PARALLEL_WORKERS"] == str(PARALLEL_WORKERS)
    assert container["resources"]["requests"]["cpu"] == str(PARALLEL_WORKERS)  # a core each
    # The same image and runtime as the Seldon target.
    seldon = seldon_deployment(a_release())["spec"]["predictors"][0]["componentSpecs"][0]
    seldon_env = {e["name"]: e["value"] for e in seldon["spec"]["containers"][0]["env"]}
    assert seldon["spec"]["containers"][0]["image"] == container["image"]
    assert {k: env[k] for k in seldon_env} == seldon_env
    predictor["contianers"] = []
    with pytest.raises(jsonschema.ValidationError, match="contianers"):
        jsonschema.Draft7Validator(schema).validate(manifest)


def test_label_values_stay_legal() -> None:
    assert label_value(None) == "unknown"
    assert label_value("x" * 80) == "x" * 63
    assert label_value("a/b c") == "a-b-c"
    assert label_value("--") == "unknown"


# The step, against a real bare repository ---------------------------------------------------


def test_release_passes_commits_and_pushes(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    result = release(evaluation(tmp_path / "eval", GOOD), tmp_path / "out", str(remote))
    assert result.returncode == 0, result.stderr
    decision = json.loads((tmp_path / "out" / "release.json").read_text())
    assert decision["decision"] == "promote" and decision["version"] == CAL
    assert decision["manifest"] == "gitops/serving/pets-unet-seldondeployment.yaml"
    head = git("--git-dir", str(remote), "rev-parse", "main")
    assert decision["git_commit"] == head and decision["git_branch"] == "main"
    pushed = remote_file(remote, decision["manifest"])
    assert pushed == (tmp_path / "out" / "seldondeployment.yaml").read_text().strip()
    manifest = yaml.safe_load(pushed)
    jsonschema.Draft7Validator(json.loads(STRICT_SCHEMA.read_text())).validate(manifest)
    assert manifest["metadata"]["labels"]["reproml.io/data-commit"] == DATA
    message = git("--git-dir", str(remote), "log", "-1", "--format=%an <%ae>%n%B", "main")
    assert message.startswith("Release Bot <bot@example.org>\nrelease pets-unet " + CAL)
    assert "mean_iou: 0.7100" in message and f"data commit (transform): {DATA}" in message
    assert "git revert" in message
    # A retried datum finds its promotion already there: no second commit.
    again = release(evaluation(tmp_path / "eval2", GOOD), tmp_path / "out2", str(remote))
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "out2" / "release.json").read_text())["already_promoted"]
    assert git("--git-dir", str(remote), "rev-list", "--count", "main") == "1"


def test_release_through_kserve_commits_an_inference_service(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    result = release(
        evaluation(tmp_path / "eval", GOOD), tmp_path / "out", str(remote), SERVING_TARGET="kserve"
    )
    assert result.returncode == 0, result.stderr
    assert "to kserve (InferenceService, git commit" in result.stdout
    decision = json.loads((tmp_path / "out" / "release.json").read_text())
    assert decision["target"] == "kserve" and decision["manifest"] == KSERVE_PATH
    pushed = remote_file(remote, KSERVE_PATH)
    assert pushed == (tmp_path / "out" / "inferenceservice.yaml").read_text().strip()
    jsonschema.Draft7Validator(json.loads(KSERVE_SCHEMA.read_text())).validate(
        yaml.safe_load(pushed)
    )
    message = git("--git-dir", str(remote), "log", "-1", "--format=%B", "main")
    assert "Serving target: kserve (InferenceService)" in message


def test_switching_targets_is_one_promotion_and_one_revert(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    release(evaluation(tmp_path / "e1", GOOD, version="1" * 32), tmp_path / "o1", str(remote))
    seldon = remote_file(remote, SELDON_PATH)
    moved = release(evaluation(tmp_path / "e2", GOOD, version="2" * 32), tmp_path / "o2",
                    str(remote), SERVING_TARGET="kserve")  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    tree = git("--git-dir", str(remote), "ls-tree", "--name-only", "main", "gitops/serving/")
    assert tree.splitlines() == [KSERVE_PATH]  # the SeldonDeployment went in the same commit
    changed = git("--git-dir", str(remote), "show", "--name-status", "--format=", "main")
    assert sorted(changed.splitlines()) == [f"A\t{KSERVE_PATH}", f"D\t{SELDON_PATH}"]
    promotion = json.loads((tmp_path / "o2" / "release.json").read_text())["git_commit"]
    revert(remote, promotion, tmp_path / "clone")
    assert remote_file(remote, SELDON_PATH) == seldon  # back on Seldon, the previous model
    tree = git("--git-dir", str(remote), "ls-tree", "--name-only", "main", "gitops/serving/")
    assert tree.splitlines() == [SELDON_PATH]


def test_an_unknown_serving_target_exits_1(tmp_path: Path) -> None:
    remote = str(bare_repo(tmp_path / "gitops.git"))
    result = release(evaluation(tmp_path / "e", GOOD), tmp_path / "o", remote,
                     SERVING_TARGET="sagemaker")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "release: SERVING_TARGET='sagemaker' is not a serving target: use one of seldon, kserve"
    )
    assert git("--git-dir", remote, "branch", "--list") == ""


def test_release_rejects_below_the_bar_and_promotes_nothing(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    weak = {**GOOD, "mean_iou": 0.31}
    result = release(evaluation(tmp_path / "eval", weak), tmp_path / "out", str(remote))
    assert result.returncode == 0, result.stderr  # a rejected model is a result
    decision = json.loads((tmp_path / "out" / "release.json").read_text())
    assert decision["decision"] == "reject"
    assert decision["reasons"] == ["mean_iou 0.3100 is below the minimum 0.5"]
    assert decision["git_commit"] is None and decision["manifest"] is None
    assert not (tmp_path / "out" / "seldondeployment.yaml").exists()
    assert git("--git-dir", str(remote), "branch", "--list") == ""  # nothing pushed


def test_rollback_is_a_git_revert_of_the_promotion(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    path = "gitops/serving/pets-unet-seldondeployment.yaml"
    release(evaluation(tmp_path / "e1", GOOD, version="1" * 32), tmp_path / "o1", str(remote))
    first = remote_file(remote, path)
    release(evaluation(tmp_path / "e2", GOOD, version="2" * 32), tmp_path / "o2", str(remote))
    assert "2" * 32 in remote_file(remote, path)
    promotion = json.loads((tmp_path / "o2" / "release.json").read_text())["git_commit"]
    revert(remote, promotion, tmp_path / "clone")
    assert remote_file(remote, path) == first


def test_unreachable_remote_fails_with_one_line_and_no_secret(tmp_path: Path) -> None:
    result = release(
        evaluation(tmp_path / "eval", GOOD),
        tmp_path / "out",
        "https://bot:s3cr3t-token@127.0.0.1:9/reproml.git",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("release: cannot reach the git remote https://127.0.0.1:9/")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout
    assert not (tmp_path / "out" / "release.json").exists()
    assert redact("fatal: 'https://u:p@h/x' failed") == "fatal: 'https://h/x' failed"


def test_rejected_push_fails_the_step(tmp_path: Path) -> None:
    remote = bare_repo(tmp_path / "gitops.git")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: no pushes' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = release(evaluation(tmp_path / "eval", GOOD), tmp_path / "out", str(remote))
    assert result.returncode == 2
    assert "git push to" in result.stderr and "was rejected" in result.stderr
    assert "Traceback" not in result.stderr
    assert git("--git-dir", str(remote), "branch", "--list") == ""


def test_bad_configuration_and_missing_input_exit_1(tmp_path: Path) -> None:
    remote = str(bare_repo(tmp_path / "gitops.git"))
    typo = release(evaluation(tmp_path / "e1", GOOD), tmp_path / "o1", remote, GATE_MIN_IOUU="1")
    assert typo.returncode == 1 and "iouu, which metrics.json does not have" in typo.stderr
    missing = release(tmp_path / "nowhere", tmp_path / "o2", remote)
    assert missing.returncode == 1 and "no metrics.json" in missing.stderr
    assert "Traceback" not in typo.stderr + missing.stderr


# The spec under pachlite: provenance from Pachyderm's variables, datum_tries on git errors ---


def release_pipeline(client: Client, remote: str, *, update: bool = False) -> None:
    spec = yaml.safe_load((REPO_ROOT / "pipelines" / "release.yaml").read_text())
    spec["transform"]["env"]["GITOPS_REPO"] = remote
    if update:
        client.update_pipeline(spec, workdir=str(REPO_ROOT))
    else:
        client.create_pipeline(spec, workdir=str(REPO_ROOT))


def test_release_pipeline_promotes_and_retries_git_errors(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    client.create_repo("evaluate")
    folder = evaluation(tmp_path / "eval", GOOD)
    client.put_file("evaluate@master:/", folder, recursive=True)
    release_pipeline(client, str(tmp_path / "missing.git"))
    client.run_pending()
    job = client.list_job(pipeline="release")[0]
    assert job.state == JobState.FAILURE
    datum = client.list_datum(f"release@{job.id}")[0]
    assert datum.state == DatumState.FAILED
    logs = "\n".join(line.line for _, line in client.logs(pipeline="release"))
    assert logs.count("cannot reach the git remote") == 3  # datum_tries: 3
    remote = bare_repo(tmp_path / "gitops.git")
    release_pipeline(client, str(remote), update=True)  # a new version: the datum runs again
    client.run_pending()
    job = client.list_job(pipeline="release")[0]
    assert job.state == JobState.SUCCESS
    decision = json.loads(client.get_file("release@master:/release.json"))
    assert decision["decision"] == "promote" and decision["version"] == CAL
    assert decision["provenance"]["evaluate_commit"] == client.inspect_commit("evaluate@master").id
    assert decision["git_commit"] == git("--git-dir", str(remote), "rev-parse", "main")
