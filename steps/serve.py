"""`make serve`: serve the model that git says is released, with MLServer on 127.0.0.1.

    python -m steps.serve [--gitops .run/gitops.git] [--port 8080]
    python -m steps.serve --model-dir DIR     # serve calibrate's output from a folder

Reads the manifest the release step committed (the same file ArgoCD syncs: a SeldonDeployment
or a KServe InferenceService, whichever serving target released the model), takes its model
version (the calibrate commit), copies that commit's files out of pachlite, writes MLServer's
settings.json and model-settings.json, and runs `mlserver start`: the same server, runtime
and model for either target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from steps import kserve, seldon
from steps.gitpublish import PublishError, read_files
from steps.promotion import LABEL_PREFIX, PARALLEL_WORKERS, manifest_path

KINDS = {"seldon": seldon.KIND, "kserve": kserve.KIND}


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


def fetch_model(version: str, target: Path, env: dict[str, str]) -> None:
    """calibrate@<version> out of pachlite into target (model.keras, calibration.json)."""
    if target.exists():
        shutil.rmtree(target)
    result = subprocess.run(
        ["pachlite", "get", "file", "-r", f"calibrate@{version}:/", "-o", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["pachlite failed"])[-1]
        raise ServeError(f"cannot copy the released model calibrate@{version}: {detail}")


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
        "implementation": "steps.serving.UNetRuntime",
        "platform": "keras-unet",
        "parameters": {"uri": str(model_dir.resolve()), "version": version},
    }
    (folder / "settings.json").write_text(json.dumps(settings, indent=2))
    (folder / "model-settings.json").write_text(json.dumps(model, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gitops", default=os.environ.get("GITOPS_REPO", ".run/gitops.git"))
    parser.add_argument("--branch", default=os.environ.get("GITOPS_BRANCH", "main"))
    parser.add_argument("--path", default=os.environ.get("GITOPS_PATH", "gitops/serving"))
    parser.add_argument("--name", default=os.environ.get("DEPLOYMENT_NAME", "pets-unet"))
    parser.add_argument("--model-dir", help="serve this folder instead of the released model")
    parser.add_argument("--folder", default=".run/serving", help="where the settings go")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--grpc-port", type=int, default=int(os.environ.get("GRPC_PORT", 8081)))
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    env = dict(os.environ)
    try:
        if args.model_dir:
            model_dir, version = Path(args.model_dir), None
            if not (model_dir / "model.keras").is_file():
                raise ServeError(f"{model_dir} holds no model.keras (give calibrate's output)")
        else:
            target = os.environ.get("SERVING_TARGET") or None
            version = released_version(args.gitops, args.branch, args.path, args.name, target)
            model_dir = folder / "model"
            fetch_model(version, model_dir, env)
        write_settings(folder, args.name, model_dir, version, args.port, args.grpc_port)
    except ServeError as e:
        print(f"serve: {e}", file=sys.stderr)  # noqa: T201
        return 1
    shown = version or str(model_dir)
    print(  # noqa: T201
        f"serve: {args.name} ({shown}) on http://127.0.0.1:{args.port}/v2/models/{args.name}",
        flush=True,
    )
    project = str(Path(__file__).resolve().parent.parent)  # so MLServer imports steps.serving
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, env.get("PYTHONPATH")]))
    launch = "import sys; from mlserver.cli import main; sys.argv[0] = 'mlserver'; main()"
    os.execve(sys.executable, [sys.executable, "-c", launch, "start", str(folder)], env)


if __name__ == "__main__":
    sys.exit(main())
