"""The typed pipeline spec: what the engine reads of an effective spec, parsed once.

A spec is read (`spec.load_documents`, `spec.normalize`, `spec.validate_schema`), given
Pachyderm's defaults and checked (`validate.effective_spec`, `validate.validate`) as JSON; then
`parse_spec` turns it into these frozen values, and everything past that point (the worker,
the client, the CLI, the cluster checks) reads fields, not dictionary keys. JSON stays where
a spec is stored (the `effective_spec` column, parsed again by `load_spec`) and where it is
shown (`inspect pipeline` prints the stored JSON, so fields pachlite does not model still
round-trip). The input tree is a small sum type, one class per kind, as Pachyderm's datum
iterators dispatch on it (src/server/worker/datum/iterator.go).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from pachlite.errors import InvalidArgument
from pachlite.paths import DEFAULT_PROJECT, qualify
from pachlite.pps.spec import Spec, parse_duration

PipelineKind = Literal["batch", "service", "spout"]


@dataclass(frozen=True)
class PfsInput:
    name: str
    repo: str  # the repo's key: `project/repo` when `input.pfs.project` is not `default`
    branch: str = "master"
    glob: str = "/"
    join_on: str | None = None  # None: not a join input (an empty key is a key)
    group_by: str | None = None
    outer_join: bool = False
    lazy: bool = False
    empty_files: bool = False


@dataclass(frozen=True)
class CronInput:
    name: str
    repo: str  # <pipeline>_<name> unless given, in the pipeline's project (its key)
    spec: str  # the schedule
    start: str | None = None
    overwrite: bool = False

    @property
    def branch(self) -> str:
        return "master"  # ticks are committed to the cron repo's master


@dataclass(frozen=True)
class Cross:
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class Union:
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class Join:
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class Group:
    inputs: tuple[Input, ...]


Leaf = PfsInput | CronInput
Combined = Cross | Union | Join | Group
Input = Leaf | Combined


@dataclass(frozen=True)
class Transform:
    cmd: tuple[str, ...] = ()
    stdin: tuple[str, ...] = ()
    err_cmd: tuple[str, ...] = ()
    err_stdin: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    image: str | None = None  # null only where the user wrote null
    working_dir: str | None = None
    accept_return_code: tuple[int, ...] = ()
    datum_batching: bool = False


@dataclass(frozen=True)
class Service:
    internal_port: int = 0
    external_port: int = 0
    type: str = ""

    @property
    def ports(self) -> tuple[int, int]:
        """(external, internal): the external port defaults to the internal one."""
        return self.external_port or self.internal_port, self.internal_port


@dataclass(frozen=True)
class Spout:
    service: Service | None = None


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    project: str
    transform: Transform
    input: Input | None  # None for a spout
    description: str = ""
    parallelism: int = 1  # parallelism_spec.constant as given; 0 (unset) reads as 1
    service: Service | None = None
    spout: Spout | None = None
    datum_tries: int = 3
    datum_timeout: float | None = None  # seconds
    job_timeout: float | None = None
    output_branch: str = "master"
    reprocess_spec: str = "until_success"
    salt: str = ""
    autoscaling: bool = False

    @property
    def kind(self) -> PipelineKind:
        """ "spout", "service" (a long-running process on one datum) or "batch" (datum jobs)."""
        if self.spout is not None:
            return "spout"
        if self.service is not None:
            return "service"
        return "batch"

    @property
    def served(self) -> Service | None:
        """The service a service pipeline or a spout with a service listens as."""
        return self.service or (self.spout.service if self.spout else None)

    @property
    def key(self) -> str:
        """The pipeline's (and its output repo's) key: `project/name` outside `default`."""
        return qualify(self.project, self.name)

    def leaves(self) -> Iterator[Leaf]:
        return leaves(self.input)

    @property
    def input_repos(self) -> set[str]:
        """Every repo the pipeline reads, cron repos included."""
        return {leaf.repo for leaf in self.leaves()}

    @property
    def pfs_inputs(self) -> list[PfsInput]:
        return [leaf for leaf in self.leaves() if isinstance(leaf, PfsInput)]

    @property
    def cron_inputs(self) -> list[CronInput]:
        return [leaf for leaf in self.leaves() if isinstance(leaf, CronInput)]


def leaves(node: Input | None) -> Iterator[Leaf]:
    """Every pfs and cron input of a tree, depth first."""
    if node is None:
        return
    if isinstance(node, PfsInput | CronInput):
        yield node
        return
    for child in node.inputs:
        yield from leaves(child)


def parse_spec(effective: Spec) -> PipelineSpec:
    """The typed form of an effective spec (defaults applied; validated, except for a datum
    preview). Reads what the engine uses; everything else stays in the stored JSON."""
    pipeline = effective.get("pipeline") or {}
    name = str(pipeline.get("name") or "")
    project = spec_project(effective)
    spout = effective.get("spout")
    return PipelineSpec(
        name=name,
        project=project,
        transform=_transform(effective.get("transform") or {}),
        input=parse_input(effective.get("input") or None, project),
        description=str(effective.get("description") or ""),
        parallelism=int((effective.get("parallelismSpec") or {}).get("constant") or 1),
        service=_service(effective.get("service")),
        spout=None if spout is None else Spout(_service(spout.get("service") or None)),
        datum_tries=int(effective.get("datumTries") or 3),
        datum_timeout=parse_duration(effective.get("datumTimeout"), "datum_timeout"),
        job_timeout=parse_duration(effective.get("jobTimeout"), "job_timeout"),
        output_branch=str(effective.get("outputBranch") or "master"),
        reprocess_spec=str(effective.get("reprocessSpec") or "until_success"),
        salt=str(effective.get("salt") or ""),
        autoscaling=bool(effective.get("autoscaling")),
    )


@lru_cache(maxsize=256)
def load_spec(stored: str) -> PipelineSpec:
    """A stored effective spec (its JSON text), parsed; the values are immutable, so the
    scheduler's many reads of one version share one parse."""
    loaded = json.loads(stored)
    assert isinstance(loaded, dict)
    return parse_spec(loaded)


def spec_project(spec: Spec) -> str:
    """`pipeline.project.name`; unset is `default`."""
    return str(((spec.get("pipeline") or {}).get("project") or {}).get("name") or DEFAULT_PROJECT)


def input_repo_key(pfs: Spec, pipeline_project: str) -> str:
    """The key of a pfs input's repo: `input.pfs.project`, else the pipeline's project, as
    pachd's setInputDefaults fills it (src/server/pps/server/api_server.go)."""
    return qualify(str(pfs.get("project") or pipeline_project), str(pfs.get("repo") or ""))


def parse_input(node: Spec | None, project: str = DEFAULT_PROJECT) -> Input | None:
    """The typed input tree (None for no input), its repos read in `project` unless an input
    names its own. The first kind present wins, in the order Pachyderm's iterators test them;
    validation has made sure there is exactly one."""
    if not node:
        return None
    return _input(node, project)


def _input(node: Spec, project: str) -> Input:
    if node.get("pfs") is not None:
        pfs = node["pfs"]
        repo = str(pfs.get("repo") or "")
        join_on, group_by = pfs.get("joinOn"), pfs.get("groupBy")
        return PfsInput(
            name=str(pfs.get("name") or repo),
            repo=input_repo_key(pfs, project),
            branch=str(pfs.get("branch") or "master"),
            glob=str(pfs.get("glob") or "/"),
            join_on=None if join_on is None else str(join_on),
            group_by=None if group_by is None else str(group_by),
            outer_join=bool(pfs.get("outerJoin")),
            lazy=bool(pfs.get("lazy")),
            empty_files=bool(pfs.get("emptyFiles")),
        )
    if node.get("cron") is not None:
        cron = node["cron"]
        start = cron.get("start")
        return CronInput(
            name=str(cron.get("name") or ""),
            repo=qualify(project, str(cron.get("repo") or "")),
            spec=str(cron.get("spec") or ""),
            start=None if start is None else str(start),
            overwrite=bool(cron.get("overwrite")),
        )
    for kind, combined in (("cross", Cross), ("union", Union), ("join", Join), ("group", Group)):
        if node.get(kind):
            return combined(tuple(_input(child or {}, project) for child in node[kind]))
    raise InvalidArgument("an input has none of pfs, cron, cross, union, join, group")


def _transform(transform: Spec) -> Transform:
    return Transform(
        cmd=_strings(transform.get("cmd")),
        stdin=_strings(transform.get("stdin")),
        err_cmd=_strings(transform.get("errCmd")),
        err_stdin=_strings(transform.get("errStdin")),
        env=MappingProxyType({str(k): str(v) for k, v in (transform.get("env") or {}).items()}),
        image=None if transform.get("image") is None else str(transform["image"]),
        working_dir=str(transform["workingDir"]) if transform.get("workingDir") else None,
        accept_return_code=tuple(int(c) for c in transform.get("acceptReturnCode") or []),
        datum_batching=bool(transform.get("datumBatching")),
    )


def _strings(value: list[str] | None) -> tuple[str, ...]:
    return tuple(str(item) for item in value or [])


def _service(service: Spec | None) -> Service | None:
    if service is None:
        return None
    return Service(
        internal_port=int(service.get("internalPort") or 0),
        external_port=int(service.get("externalPort") or 0),
        type=str(service.get("type") or ""),
    )
