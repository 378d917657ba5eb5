"""The environment fingerprint every step records in provenance.json.

What decides whether a re-run can give the same bytes: the interpreter, the numeric stack,
CUDA and cuDNN, the GPU driver, the device, TensorFlow's oneDNN switch, the hash seed and the
image. Cheap on purpose: versions come from package metadata and the driver from /proc, so a
step that never imports TensorFlow does not import it here either.

The image is what the image says it is: the step images set REPROML_IMAGE (images/*.Dockerfile).
A process that runs outside them (pachlite runs the command on the host) records null there,
and `packages` (a digest of every installed distribution and its version) stands in for it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import os
import platform
import re
import site
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# TensorFlow ships under several distribution names; the first one installed is reported.
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly")
NVIDIA_PROC = Path("/proc/driver/nvidia")
CPUINFO = Path("/proc/cpuinfo")


def version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def tensorflow_distribution() -> tuple[str | None, str | None]:
    """(distribution name, version) of the installed TensorFlow, or (None, None)."""
    for name in TENSORFLOW_DISTRIBUTIONS:
        found = version(name)
        if found:
            return name, found
    return None, None


def tensorflow_build(distribution: str | None) -> dict[str, Any]:
    """TensorFlow's build_info (CUDA and cuDNN it was built for), read without importing it."""
    if distribution is None:
        return {}
    try:
        path = importlib.metadata.distribution(distribution).locate_file(
            "tensorflow/python/platform/build_info.py"
        )
        tree = ast.parse(Path(str(path)).read_text())
    except (OSError, SyntaxError, importlib.metadata.PackageNotFoundError):
        return {}
    for node in ast.walk(tree):  # build_info = collections.OrderedDict([(key, value), ...])
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "build_info" for t in node.targets)
            and isinstance(node.value, ast.Call)
            and node.value.args
        ):
            try:
                return dict(ast.literal_eval(node.value.args[0]))
            except ValueError:
                return {}
    return {}


def packages_digest() -> str:
    """sha256 of every installed distribution as `name==version`, sorted: the whole stack.
    Only the site directories count: importing pkg_resources adds setuptools' vendored
    packages to sys.path, and the digest must not depend on what the step imported."""
    folders = site.getsitepackages()
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    lines = {
        f"{re.sub(r'[-_.]+', '-', (d.metadata['Name'] or '').lower())}=={d.version}"
        for d in importlib.metadata.distributions(path=folders)
    }
    return "sha256:" + hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def cpu_model(cpuinfo: Path = CPUINFO) -> str | None:
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware"):
                return value.strip() or None
    except OSError:
        pass
    return platform.processor() or None


def gpu_driver(proc: Path = NVIDIA_PROC) -> str | None:
    """The NVIDIA kernel module's version (`NVRM version: ... Kernel Module  550.54.15 ...`)."""
    try:
        text = (proc / "version").read_text()
    except OSError:
        return None
    found = re.search(r"Kernel Module(?: for \w+)?\s+([0-9][0-9.]*)", text)
    return found.group(1) if found else None


def gpu_names(proc: Path = NVIDIA_PROC) -> list[str]:
    """The GPUs the driver shows this process (a container sees only its own), by bus ID."""
    names = []
    try:
        folders = sorted((proc / "gpus").iterdir())
    except OSError:
        return []
    for folder in folders:
        try:
            text = (folder / "information").read_text()
        except OSError:
            continue
        found = re.search(r"^Model:\s*(.+)$", text, re.M)
        if found:
            names.append(found.group(1).strip())
    return names


def compute_device(
    env: Mapping[str, str], cuda_build: bool, gpus: list[str], tf: Any = None
) -> str:
    """'GPU' or 'CPU': what TensorFlow runs on. Asked of TensorFlow (`tf`) when the step
    imported it, else what it would pick (a CUDA build uses a visible GPU by itself)."""
    if tf is not None:
        return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    hidden = env.get("CUDA_VISIBLE_DEVICES") in ("", "-1")
    return "GPU" if cuda_build and gpus and not hidden else "CPU"


def fingerprint(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fingerprint as JSON: equal fingerprints are the precondition for equal bytes."""
    env = os.environ if env is None else env
    tf_name, tf_version = tensorflow_distribution()
    build = tensorflow_build(tf_name)
    gpus = gpu_names()
    libc, libc_version = platform.libc_ver()
    return {
        "python": platform.python_version(),
        "tensorflow": tf_version,
        "tensorflow_distribution": tf_name,
        "keras": version("keras"),
        "numpy": version("numpy"),
        "cuda": build.get("cuda_version"),
        "cudnn": build.get("cudnn_version"),
        "gpu_driver": gpu_driver(),
        "device": compute_device(
            env, bool(build.get("is_cuda_build")), gpus, sys.modules.get("tensorflow")
        ),
        "cpu": cpu_model(),
        "gpus": gpus,
        "onednn": env.get("TF_ENABLE_ONEDNN_OPTS"),  # null: TensorFlow's default (on, x86)
        "hash_seed": env.get("PYTHONHASHSEED"),
        "image": env.get("REPROML_IMAGE") or None,
        "platform": f"{platform.system()}-{platform.machine()}",
        "libc": f"{libc} {libc_version}".strip() or None,
        "packages": packages_digest(),
    }
