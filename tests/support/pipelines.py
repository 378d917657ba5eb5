"""Tiny transforms as real Python scripts, and specs that run them."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

from pachlite import Client
from pachlite.model import JobInfo


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text("import json, os, sys, pathlib, time\n" + textwrap.dedent(body))
    return str(path)


def spec(name: str, cmd: list[str], input_: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"pipeline": {"name": name}, "transform": {"cmd": cmd}, "input": input_, **extra}


def py(path: str, *args: str) -> list[str]:
    return [sys.executable, path, *args]


def pfs(repo: str, glob: str = "/*", **extra: Any) -> dict[str, Any]:
    return {"pfs": {"repo": repo, "glob": glob, **extra}}


def last_job(client: Client, pipeline: str) -> JobInfo:
    return client.list_job(pipeline=pipeline)[0]


COPY = """
src = pathlib.Path(os.environ["in"])
for f in ([src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())):
    rel = f.relative_to(os.environ["in"].split("/pfs/in")[0] + "/pfs/in")
    out = pathlib.Path("/pfs/out") / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(f.read_bytes().upper())
"""
