"""`make serve`: serve the model that git says is released, with MLServer on 127.0.0.1.

    python -m steps.serving [--gitops .run/gitops.git] [--port 8080]
    python -m steps.serving --model-dir DIR     # serve calibrate's output from a folder

Reads the manifest the release step committed (the same file ArgoCD syncs: a SeldonDeployment
or a KServe InferenceService, whichever serving target released the model), takes its model
version (the calibrate commit), copies that commit's files out of pachlite (pachlite.Client),
writes MLServer's settings.json and model-settings.json, and runs `mlserver start`: the same
server, runtime and model for either target. Defaults (steps.parameters.ServeParams): the
branch, path and name the release spec pushes to, PORT and GRPC_PORT, SERVING_TARGET.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import yaml

from pachlite import Client, PachliteError
from steps.parameters import ParameterError, ServeParams
from steps.release import kserve, seldon
from steps.release.manifest import LABEL_PREFIX, PARALLEL_WORKERS, manifest_path
from steps.release.publish import PublishError, read_files

KINDS = {"seldon": seldon.KIND, "kserve": kserve.KIND}
RUNTIME = "steps.serving.UNetRuntime"  # what model-settings.json names; steps/serving/__init__


class ServeError(RuntimeError):
    pass


def released_version(
    remote: str, branch: str, folder: str, name: str, target: str | None = None
) -> str:
    """The model version (calibrate commit) of the release the gitops repo holds, whichever
    serving target wrote it (or `target`, where both manifests are there)."""
    paths = {t: manifest_path(folder, name, kind) for t, kind in KINDS.items()}
    try:
        texts = read_files(remote, branch, list(paths.values()))
    except PublishError as e:
        raise ServeError(str(e)) from None
    found = {t: texts[p] for t, p in paths.items() if texts[p] is not None}
    if target:
        if target not in KINDS:
            raise ServeError(f"SERVING_TARGET={target!r} is not one of {', '.join(KINDS)}")
        found = {t: text for t, text in found.items() if t == target}
    if not found:
        wanted = [paths[target]] if target else list(paths.values())
        raise ServeError(
            f"nothing released yet: no {' or '.join(wanted)} on branch {branch} of {remote} "
            "(run `make run`)"
        )
    if len(found) > 1:
        raise ServeError(
            f"both {' and '.join(paths.values())} are on branch {branch}: "
            "set SERVING_TARGET=seldon or SERVING_TARGET=kserve to choose"
        )
    ((chosen, text),) = found.items()
    manifest = yaml.safe_load(text) or {}
    annotations = manifest.get("metadata", {}).get("annotations", {})
    version = annotations.get(f"{LABEL_PREFIX}/model-version")
    if not version:
        raise ServeError(f"{paths[chosen]} names no {LABEL_PREFIX}/model-version annotation")
    return str(version)


def fetch_model(version: str, target: Path, root: str | os.PathLike[str] | None = None) -> None:
    """calibrate@<version> out of the pachlite store at `root` ($PACHLITE_ROOT by default) into
    target (model.keras, calibration.json)."""
    if target.exists():
        shutil.rmtree(target)
    try:
        with Client(root) as client:
            client.get_file_to(f"calibrate@{version}:/", target, recursive=True)
    except (PachliteError, OSError) as e:
        raise ServeError(f"cannot copy the released model calibrate@{version}: {e}") from None


def write_settings(
    folder: Path,
    name: str,
    model_dir: Path,
    version: str | None,
    port: int,
    grpc_port: int,
    parallel_workers: int = PARALLEL_WORKERS,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": grpc_port,
        "metrics_endpoint": None,  # no third port to collide on a laptop
        "metrics_dir": str(folder / ".metrics"),
        "parallel_workers": parallel_workers,
        "debug": False,
    }
    model = {
        "name": name,
        "implementation": RUNTIME,
        "platform": "keras-unet",
        "parameters": {"uri": str(model_dir.resolve()), "version": version},
    }
    (folder / "settings.json").write_text(json.dumps(settings, indent=2))
    (folder / "model-settings.json").write_text(json.dumps(model, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m steps.serving", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--gitops", help="the gitops repository (GITOPS_REPO, else make run's)")
    parser.add_argument("--branch", help="its branch (the release spec's GITOPS_BRANCH)")
    parser.add_argument("--path", help="the folder of the manifests (GITOPS_PATH)")
    parser.add_argument("--name", help="the deployment (DEPLOYMENT_NAME)")
    parser.add_argument("--model-dir", help="serve this folder instead of the released model")
    parser.add_argument("--folder", default=".run/serving", help="where the settings go")
    parser.add_argument("--port", type=int, help="HTTP port (PORT, else 8080)")
    parser.add_argument("--grpc-port", type=int, help="gRPC port (GRPC_PORT, else 8081)")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    try:
        params = ServeParams.from_env()
    except ParameterError as e:
        print(f"serve: {e}", file=sys.stderr)  # noqa: T201
        return 2
    name = args.name or params.deployment_name
    port = args.port or params.port
    try:
        if args.model_dir:
            model_dir, version = Path(args.model_dir), None
            if not (model_dir / "model.keras").is_file():
                raise ServeError(f"{model_dir} holds no model.keras (give calibrate's output)")
        else:
            version = released_version(
                args.gitops or params.gitops_repo,
                args.branch or params.gitops_branch,
                args.path or params.gitops_path,
                name,
                params.serving_target,
            )
            model_dir = folder / "model"
            fetch_model(version, model_dir)
        write_settings(folder, name, model_dir, version, port, args.grpc_port or params.grpc_port)
    except ServeError as e:
        print(f"serve: {e}", file=sys.stderr)  # noqa: T201
        return 1
    shown = version or str(model_dir)
    print(  # noqa: T201
        f"serve: {name} ({shown}) on http://127.0.0.1:{port}/v2/models/{name}",
        flush=True,
    )
    env = dict(os.environ)
    project = str(Path(__file__).resolve().parents[2])  # so MLServer imports steps.serving
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, env.get("PYTHONPATH")]))
    launch = "import sys; from mlserver.cli import main; sys.argv[0] = 'mlserver'; main()"
    os.execve(sys.executable, [sys.executable, "-c", launch, "start", str(folder)], env)
