"""A folder of specs checked the way a real Pachyderm would, and turned into its requests.

`check()` reads every spec (files or folders, multi-document YAML), applies Pachyderm's JSON
schema and pachlite's server rules (names, inputs, cycles) to the set as a whole, orders the
pipelines so each comes after the pipelines it reads, and builds each one's
CreatePipelineRequest JSON, round-tripped through pachyderm-sdk's own message class so a
field the SDK does not know is an error here rather than a silent drop on the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pachlite.errors import InvalidArgument, NotFound
from pachlite.pps.dag import upstream_first
from pachlite.pps.spec import Spec
from pachlite.pps.validate import effective_spec, iter_inputs, validate
from pachlite.worker.pipelines import read_specs


@dataclass(frozen=True)
class PipelineRequest:
    name: str
    source: str
    spec: Spec  # normalized (camelCase), as the user wrote it: what the request sends
    request_json: str  # CreatePipelineRequest as protobuf JSON

    @property
    def inputs(self) -> set[str]:
        return {body["repo"] for kind, body in iter_inputs(self.spec.get("input")) if kind == "pfs"}


@dataclass(frozen=True)
class Checked:
    pipelines: list[PipelineRequest]  # in dependency order
    input_repos: list[str]  # repos read that no pipeline here writes: create them first


def load(paths: Iterable[str | Path]) -> list[tuple[str, Spec]]:
    """(source, normalised spec) from every path, read as `pachlite create pipeline` reads."""
    loaded: list[tuple[str, Spec]] = []
    for raw in paths:
        if not Path(raw).exists():
            raise NotFound(f"{raw}: no such file or folder", "give spec files or a folder of them")
        loaded += read_specs(str(raw))
    return loaded


def request_json(spec: Spec) -> str:
    """The spec as CreatePipelineRequest JSON (pachctl's `update`/`reprocess` are flags)."""
    body = {k: v for k, v in spec.items() if k not in ("update", "reprocess")}
    return json.dumps(body, sort_keys=True)


def round_trip(name: str, text: str) -> None:
    """Parse the request with pachyderm-sdk's message class; anything it drops is an error."""
    try:
        from pachyderm_sdk.api import pps
    except ImportError:
        raise InvalidArgument(
            "pachyderm-sdk is not installed", "install it: pip install pachyderm-sdk==2.12.2"
        ) from None
    wanted = json.loads(text)
    try:
        back = pps.CreatePipelineRequest().from_dict(wanted).to_dict()
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise InvalidArgument(f"{name}: pachyderm-sdk cannot read the request: {e}") from None
    lost = _lost(wanted, back, "")
    if lost:
        raise InvalidArgument(
            f"{name}: pachyderm-sdk's CreatePipelineRequest drops {', '.join(lost)}",
            "the field is not in the Pachyderm version the SDK speaks: remove or rename it",
        )


def _lost(wanted: Any, back: Any, path: str) -> list[str]:
    if isinstance(wanted, dict):
        if not isinstance(back, dict):
            return [path or "/"]
        lost: list[str] = []
        for key, value in wanted.items():
            if key not in back:
                if value not in (None, "", [], {}, False, 0):  # proto3 drops defaults
                    lost.append(f"{path}.{key}".lstrip("."))
            else:
                lost += _lost(value, back[key], f"{path}.{key}")
        return lost
    if isinstance(wanted, list) and isinstance(back, list):
        return [
            x for i, (a, b) in enumerate(zip(wanted, back, strict=False))
            for x in _lost(a, b, f"{path}[{i}]")
        ]  # fmt: skip
    return []


def check(paths: Iterable[str | Path]) -> Checked:
    loaded = load(paths)
    names = [(s.get("pipeline") or {}).get("name") or "" for _, s in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidArgument(f"pipeline {duplicates[0]!r} is defined twice", "keep one spec")
    requests = []
    for (source, spec), name in zip(loaded, names, strict=True):
        text = request_json(spec)
        round_trip(f"{source} ({name})", text)
        requests.append(PipelineRequest(name, source, spec, text))
    produced = set(names)
    input_repos = sorted({r for p in requests for r in p.inputs} - produced)
    by_name = {r.name: r for r in requests}
    ordered = [by_name[n] for n in upstream_first({r.name: r.inputs for r in requests})]
    known: set[str] = set(input_repos)
    pipeline_inputs: dict[str, set[str]] = {}
    for request in ordered:  # the server's rules, as if created one by one in this order
        effective = effective_spec(request.spec, salt="0" * 32)
        validate(
            effective,
            existing_repos=known,
            pipeline_inputs=pipeline_inputs,
            source=request.source,
        )
        known.add(request.name)
        pipeline_inputs[request.name] = request.inputs
    return Checked(ordered, input_repos)
