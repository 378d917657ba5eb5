"""Defaults and server-side rules for pipeline specs (docs/semantics.md §1.3-§1.5, §2.1, §10).

Pure: the engine passes in the repos that exist and the pipelines' inputs, so every rule is
testable without a store. `effective_spec` is what Pachyderm would store as
`effective_spec_json`; `local_notes` says which fields only take effect on a cluster.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from pachlite.errors import InvalidArgument, did_you_mean
from pachlite.globpattern import clean_glob, compile_glob
from pachlite.paths import DEFAULT_PROJECT, MAX_NAME_BYTES, qualify
from pachlite.pps.cron import parse_schedule
from pachlite.pps.dag import CycleError, upstream_first
from pachlite.pps.pipeline_spec import input_repo_key, spec_project
from pachlite.pps.spec import Spec, parse_duration

PIPELINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
MAX_PIPELINE_NAME = 51
PROJECT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,51}$")
RESERVED_INPUT_NAMES = ("out", ".env")
DEFAULT_IMAGE = "ubuntu:20.04"
REPROCESS_SPECS = ("until_success", "every_job")

# Fields pachlite keeps and shows but cannot apply on one machine, and how they apply on a
# cluster. Each present field yields one note at create time and in `inspect pipeline`.
CLUSTER_ONLY: dict[str, str] = {
    "transform.image": "runs in this container image on a cluster; locally the command runs "
    "on this machine as it is",
    "transform.imagePullSecrets": "used by Kubernetes to pull the image",
    "transform.user": "the container runs as this UID on a cluster",
    "transform.secrets": "Kubernetes secrets are mounted on a cluster; locally set the same "
    "environment variables yourself",
    "transform.memoryVolume": "scratch space is a tmpfs on a cluster",
    "resourceRequests": "Kubernetes schedules workers with these requests",
    "resourceLimits": "Kubernetes enforces these limits (GPUs included: the worker gets "
    "nvidia.com/gpu devices); locally code sees this machine's devices",
    "sidecarResourceRequests": "requests of the storage sidecar on a cluster",
    "sidecarResourceLimits": "limits of the storage sidecar on a cluster",
    "podPatch": "patched into the worker pod spec on a cluster",
    "tolerations": "Kubernetes tolerations of the worker pods",
    "schedulingSpec": "node selector / priority class of the worker pods",
    "metadata": "labels and annotations of the worker pods",
    "autoscaling": "workers scale to zero when idle on a cluster; locally nothing idles",
    "datumSetSpec": "how datums are batched into work units across workers",
    "determined": "Determined.AI integration on a cluster",
    "maximumExpectedUptime": "feeds `pachctl check status` on a cluster",
    "service.type": "the Kubernetes service type on a cluster",
}
UNSUPPORTED: dict[str, str] = {
    "tfJob": 'Pachyderm itself rejects tf_job ("not supported yet")',
    "egress": "egress is not implemented by pachlite; copy the output commit yourself",
    "s3Out": "the S3 gateway is not implemented by pachlite; write to /pfs/out",
    "transform.datumBatching": "datum batching (NextDatum) is not implemented by pachlite; "
    "run one process per datum",
}


def iter_inputs(node: Spec | None) -> Iterator[tuple[str, Spec]]:
    """(kind, body) of every leaf input (pfs or cron) of a spec's JSON input tree, depth
    first: for the rules checked before a spec is parsed (`pipeline_spec.leaves` after)."""
    if not node:
        return
    for kind in ("cross", "union", "join", "group"):
        for child in node.get(kind) or []:
            yield from iter_inputs(child)
    for kind in ("pfs", "cron"):
        if node.get(kind) is not None:
            yield kind, node[kind]


def effective_spec(user: Spec, *, salt: str | None = None) -> Spec:
    """The user spec with Pachyderm's defaults applied (docs/semantics.md §1.1, §10.2)."""
    spec = copy.deepcopy({k: v for k, v in user.items() if k not in ("update", "reprocess")})
    name = (spec.get("pipeline") or {}).get("name") or ""
    spec.setdefault("pipeline", {}).setdefault("project", {"name": "default"})
    transform = spec.setdefault("transform", {})
    if transform is None:
        transform = spec["transform"] = {}
    transform.setdefault("image", DEFAULT_IMAGE)
    if not spec.get("outputBranch"):
        spec["outputBranch"] = "master"
    if not spec.get("datumTries"):
        spec["datumTries"] = 3
    if not spec.get("reprocessSpec"):
        spec["reprocessSpec"] = "until_success"
    spec["salt"] = spec.get("salt") or salt or secrets.token_hex(16)
    _default_inputs(spec.get("input"), name)
    return spec


def _default_inputs(node: dict[str, Any] | None, pipeline: str) -> None:
    if not node:
        return
    for kind in ("cross", "union", "join", "group"):
        children = node.get(kind)
        if children:
            # Pachyderm sorts siblings by the name the user gave ("" first), stably,
            # before defaulting names (api_server.go setInputDefaults).
            children.sort(key=lambda child: _given_name(child))
            for child in children:
                _default_inputs(child, pipeline)
    pfs = node.get("pfs")
    if pfs is not None:
        pfs.setdefault("name", pfs.get("repo"))
        if not pfs.get("name"):
            pfs["name"] = pfs.get("repo")
        if not pfs.get("branch"):
            pfs["branch"] = "master"
        pfs["glob"] = clean_glob(pfs.get("glob") or "")
    cron = node.get("cron")
    if cron is not None:
        if not cron.get("repo"):
            cron["repo"] = f"{pipeline}_{cron.get('name', '')}"
        cron.setdefault("start", None)


def _given_name(child: Mapping[str, Any]) -> str:
    for kind in ("pfs", "cron"):
        if child.get(kind):
            return str(child[kind].get("name") or "")
    return ""


def validate(
    spec: Spec,
    *,
    existing_repos: set[str],
    pipeline_inputs: Mapping[str, set[str]],
    source: str = "<spec>",
) -> None:
    """The server-side rules, on an effective spec. Raises InvalidArgument naming the rule."""

    def fail(message: str, hint: str = "") -> None:
        raise InvalidArgument(f"{source}: {message}", hint)

    name = (spec.get("pipeline") or {}).get("name") or ""
    if not name:
        fail("`pipeline.name` is required", "add `pipeline: {name: my-pipeline}`")
    if not PIPELINE_NAME.match(name) or len(name) > MAX_PIPELINE_NAME:
        fail(
            f"invalid pipeline name {name!r}",
            f"letters, digits, '_' and '-', starting with a letter or digit, at most "
            f"{MAX_PIPELINE_NAME} characters",
        )
    for field, why in UNSUPPORTED.items():
        if _lookup(spec, field):
            fail(f"`{_snake(field)}` cannot run locally: {why}")
    if not (spec.get("transform") or {}).get("cmd"):
        fail("`transform.cmd` is required", 'give the command as a list, e.g. ["python3", "x.py"]')
    spout, service, node = spec.get("spout"), spec.get("service"), spec.get("input")
    if spout is not None and service is not None:
        fail("a pipeline is a spout or a service, not both", "put the service under spout.service")
    if spout is not None:
        if node and not spout.get("service"):
            fail("a spout has no input", "remove `input`; the spout writes its own commits")
        if spec.get("autoscaling"):
            fail("a spout cannot use autoscaling", "remove `autoscaling`")
    elif not node:
        fail("`input` is required (only spouts have none)", "add an input, e.g. pfs: {repo, glob}")
    if (service or (spout or {}).get("service")) and (
        (spec.get("parallelismSpec") or {}).get("constant") or 1
    ) != 1:
        fail("a service runs exactly one worker", "set parallelism_spec.constant to 1")
    if spec.get("reprocessSpec") not in REPROCESS_SPECS:
        fail(
            f"reprocess_spec {spec.get('reprocessSpec')!r} is not valid",
            f"use {' or '.join(REPROCESS_SPECS)}",
        )
    for field in ("datumTimeout", "jobTimeout"):
        parse_duration(spec.get(field), _snake(field))
    _validate_runnable(spec, fail)
    if int(spec.get("datumTries") or 0) < 0:
        fail("datum_tries cannot be negative")
    _validate_input_tree(node, fail, under_union=False)
    _validate_names(node, fail)
    project = spec_project(spec)
    for given in [project] + [str(b["project"]) for _, b in iter_inputs(node) if b.get("project")]:
        if given != DEFAULT_PROJECT and not PROJECT_NAME.match(given):
            fail(f"invalid project name {given!r}", "letters, digits, '_' and '-'")
    for kind, body in iter_inputs(node):
        repo = _input_key(kind, body, project)
        if kind == "pfs" and repo not in existing_repos:
            fail(
                f"input repo {repo!r} does not exist{did_you_mean(repo, existing_repos)}",
                f"create it with `pachlite create repo {repo}`",
            )
    _check_cycle(qualify(project, name), node, project, pipeline_inputs, fail)


def _input_key(kind: str, body: Spec, project: str) -> str:
    """The key of an input's repo (`project/repo` outside `default`)."""
    if kind == "pfs":
        return input_repo_key(body, project)
    return qualify(project, str(body["repo"]))


# Maps whose keys are the user's, not spec fields (shown as written, not in snake_case).
USER_MAPS = ("env", "labels", "annotations", "nodeSelector")


def _validate_runnable(spec: Spec, fail: Any) -> None:
    """What would stop user code from starting, refused now rather than when a datum runs: a
    NUL byte anywhere (no argv, environment or path can hold one), environment names no
    process can have, and a working directory with a name the file system refuses."""
    pending: list[tuple[str, bool, Any]] = [("", False, spec)]  # (where, user map?, value)
    while pending:
        where, user_map, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                name = str(key) if user_map else _snake(str(key))
                if "\0" in name:
                    fail(f"`{where or 'the spec'}` has a key with a NUL byte")
                path = f"{where}.{name}" if where else name
                pending.append((path, key in USER_MAPS, item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{i}]", False, item) for i, item in enumerate(value))
        elif isinstance(value, str) and "\0" in value:
            fail(f"`{where}` contains a NUL byte", "remove it: no command or path can hold one")
    transform = spec.get("transform") or {}
    for field in ("cmd", "stdin", "errCmd", "errStdin", "acceptReturnCode"):
        if None in (transform.get(field) or []):
            fail(f"`transform.{_snake(field)}` has a null item", "write every item out")
    for name in transform.get("env") or {}:
        if not str(name) or "=" in str(name):
            fail(
                f"`transform.env` name {str(name)!r} cannot be an environment variable",
                "use a non-empty name without '='",
            )
    for part in str(transform.get("workingDir") or "").split("/"):
        if len(part.encode()) > MAX_NAME_BYTES:
            fail(f"`transform.working_dir` has a name longer than {MAX_NAME_BYTES} bytes")


def _validate_input_tree(node: dict[str, Any] | None, fail: Any, *, under_union: bool) -> None:
    if not node:
        return
    kinds = [k for k in ("pfs", "cross", "union", "join", "group", "cron") if node.get(k)]
    if len(kinds) != 1:
        fail(
            f"an input must have exactly one of pfs, cross, union, join, group, cron; got "
            f"{', '.join(kinds) or 'none'}"
        )
    kind = kinds[0]
    if kind in ("cross", "union", "join", "group"):
        for child in node[kind]:
            if kind in ("join", "group", "union") and (child.get("pfs") or {}).get("s3"):
                fail(f"s3 inputs are not allowed inside {kind}")
            _validate_input_tree(child, fail, under_union=kind == "union")
    if kind == "pfs":
        pfs = node["pfs"]
        if not pfs.get("repo"):
            fail("every pfs input needs `repo`")
        if pfs.get("commit"):
            fail(
                f"input {pfs['repo']!r} names a commit",
                "use a branch whose head points at that commit (pachlite create branch --head)",
            )
        if pfs.get("s3"):
            fail("s3 inputs are not implemented by pachlite", "read the files from /pfs instead")
        if pfs.get("trigger"):
            fail("branch triggers are not implemented by pachlite", "commit to the branch itself")
        glob = compile_glob(pfs["glob"])
        for template_field in ("joinOn", "groupBy"):
            template = pfs.get(template_field) or ""
            for index in re.findall(r"\$\{?(\d+)\}?", template):
                if int(index) > glob.groups:
                    fail(
                        f"{_snake(template_field)} {template!r} of input {pfs['name']!r} uses "
                        f"${index} but glob {pfs['glob']!r} has {glob.groups} capture group(s)",
                        "put parentheses around the parts of the glob that form the key",
                    )
    if kind == "cron":
        cron = node["cron"]
        if not cron.get("name"):
            fail("every cron input needs `name`")
        parse_schedule(cron.get("spec") or "")


def _validate_names(node: dict[str, Any] | None, fail: Any) -> None:
    """Names are unique across the tree, except that each union branch checks against its own
    copy of the names seen so far, so union siblings may share one (api_server.go)."""

    def visit(n: dict[str, Any] | None, seen: set[str]) -> None:
        if not n:
            return
        for kind in ("cross", "join", "group"):
            for child in n.get(kind) or []:
                visit(child, seen)
        for child in n.get("union") or []:
            visit(child, set(seen))
        for kind in ("pfs", "cron"):
            body = n.get(kind)
            if body is None:
                continue
            name = body.get("name") or ""
            if name in RESERVED_INPUT_NAMES:
                fail(f"input name {name!r} is reserved", "give the input another `name`")
            size = len(str(name).encode())
            if size > MAX_NAME_BYTES or "/" in str(name) or name in (".", ".."):
                shown = f"of {size} bytes" if size > MAX_NAME_BYTES else repr(name)
                fail(
                    f"input name {shown} cannot be a directory name under /pfs",
                    f"use at most {MAX_NAME_BYTES} bytes, no '/', and not '.' or '..'",
                )
            if name in seen:
                fail(f"input name {name!r} is used twice", "give each input a distinct `name`")
            seen.add(name)

    visit(node, set())


def _check_cycle(
    name: str,
    node: dict[str, Any] | None,
    project: str,
    pipeline_inputs: Mapping[str, set[str]],
    fail: Any,
) -> None:
    """The pipelines as they would be with this spec: one that reads its own output, even
    through others, is refused with the cycle named (this pipeline first)."""
    graph = {name: {_input_key(kind, body, project) for kind, body in iter_inputs(node)}}
    graph.update((p, set(ins)) for p, ins in pipeline_inputs.items() if p != name)
    try:
        upstream_first(graph)
    except CycleError as cycle:
        fail(cycle.message, cycle.hint)


def local_notes(spec: Spec) -> list[str]:
    """One line per field that only takes effect on a cluster."""
    notes = []
    for field, how in CLUSTER_ONLY.items():
        value = _lookup(spec, field)
        if value and not (field == "transform.image" and value == DEFAULT_IMAGE):
            notes.append(f"{_snake(field)}: {how}")
    return notes


def _lookup(spec: Mapping[str, Any], dotted: str) -> Any:
    value: Any = spec
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _snake(dotted: str) -> str:
    return ".".join(
        re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), p) for p in dotted.split(".")
    )
