"""Reading pipeline specs the way pachctl does (docs/semantics.md §1.1, §1.6, §8).

JSON or YAML; several specs per file as YAML documents or a top-level list; snake_case and
camelCase keys; no YAML anchors or timestamps; a top-level `$schema` is dropped; at most
`MAX_DEPTH` levels of nesting (a real spec has under 20; deeper ones are refused with one line
rather than exhausting Python's recursion). Each spec is
normalised to camelCase guided by Pachyderm's own JSON schema, which also says which keys are
unknown (an error, as in protojson) and which are user maps (`env`, `labels`) left untouched.
Fields removed in 2.x are refused with their replacement named.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from pachlite.errors import InvalidArgument, did_you_mean

# A spec document as JSON: what is read, defaulted, validated and stored. Past validation the
# engine reads `pipeline_spec.PipelineSpec` instead.
Spec = dict[str, Any]
MAX_DEPTH = 100

# Removed in 2.x (docs/semantics.md §1.6): where the field sits, and what replaces it.
REMOVED_FIELDS: dict[tuple[str, ...], str] = {
    ("standby",): "use `autoscaling: true`",
    ("enableStats",): "remove it: 2.x always keeps datum stats (the <pipeline>.meta repo)",
    ("cacheSize",): "remove it: 2.x has no cache size",
    ("maxQueueSize",): "remove it: 2.x has no queue size",
    ("chunkSpec",): "use `datum_set_spec`",
    ("hashtreeSpec",): "remove it: 2.x has no hashtrees",
    ("podSpec",): "use `pod_patch` (an RFC 6902 JSON patch of the worker pod)",
    ("transform", "build"): "build the image yourself and set `transform.image`",
    ("parallelismSpec", "coefficient"): "use `parallelism_spec.constant`",
    ("spout", "overwrite"): "spouts write with put file now; delete old files yourself",
    ("spout", "marker"): "remove it: 2.x spouts keep their own state",
    ("input", "git"): "feed the repo from a spout or a cron input instead",
    ("input", "atom"): "use `pfs` (2.x renamed atom inputs)",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _StrictLoader(yaml.SafeLoader):
    """YAML as pachctl reads it: no aliases, no implicit timestamps (quote them), and no more
    than MAX_DEPTH levels of nesting."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise InvalidArgument(
                f"YAML alias at line {event.start_mark.line + 1} is not supported",
                "write the value out in full (pachctl refuses anchors and aliases too)",
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _too_deep(f"at line {event.start_mark.line + 1}")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _too_deep(where: str) -> InvalidArgument:
    return InvalidArgument(
        f"the spec is nested more than {MAX_DEPTH} levels deep {where}",
        "a pipeline spec needs far fewer; flatten the input tree",
    )


def check_depth(value: Any, source: str = "<spec>") -> None:
    """Refuse a spec (a dict given in Python) nested more than MAX_DEPTH levels (iterative)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(f"({source})")
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


def _refuse_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    raise InvalidArgument(
        f"unquoted timestamp {node.value!r} at line {node.start_mark.line + 1}",
        'quote it, e.g. start: "2024-01-01T00:00:00Z" (pachctl refuses YAML timestamps)',
    )


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _refuse_timestamp)


def load_documents(text: str, source: str = "<spec>") -> list[Spec]:
    """Every spec in a file: YAML documents, each a spec or a list of specs."""
    try:
        documents = list(yaml.load_all(text, Loader=_StrictLoader))
    except InvalidArgument as exc:
        raise InvalidArgument(f"{source}: {exc.message}", exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidArgument(
            f"{source}: not valid YAML or JSON{where}: {problem}", "fix the syntax"
        ) from None
    specs: list[Spec] = []
    for document in documents:
        items = document if isinstance(document, list) else [document]
        for item in items:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise InvalidArgument(
                    f"{source}: a pipeline spec must be a mapping, not {type(item).__name__}",
                    "start the spec with `pipeline: {name: ...}`",
                )
            item.pop("$schema", None)
            specs.append(item)
    if not specs:
        raise InvalidArgument(f"{source}: no pipeline spec found", "the file is empty")
    return specs


@cache
def schema() -> dict[str, Any]:
    text = resources.files("pachlite.pps").joinpath("schemas/CreatePipelineRequest.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text())
    return loaded


def _definition(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        resolved: dict[str, Any] = schema()["definitions"][ref.split("/")[-1]]
        return resolved
    return node


def normalize(spec: Spec, source: str = "<spec>") -> Spec:
    """camelCase keys where the schema names fields; unknown and 1.x fields are errors."""
    check_depth(spec, source)
    root = _definition(schema())
    # `update` and `reprocess` are request flags pachctl reads from the file
    # (docs/semantics.md §1.1).
    flags = {k: spec[k] for k in ("update", "reprocess") if k in spec}
    body = {k: v for k, v in spec.items() if k not in flags}
    normalized = _normalize(body, root, (), source)
    assert isinstance(normalized, dict)
    return {**normalized, **flags}


def _normalize(value: Any, node: dict[str, Any], path: tuple[str, ...], source: str) -> Any:
    node = _definition(node)
    if isinstance(value, list) and "items" in node:
        return [_normalize(v, node["items"], path, source) for v in value]
    if not isinstance(value, dict):
        return value
    properties: dict[str, Any] = node.get("properties", {})
    if not properties:  # a user map (env, labels, annotations, node selectors)
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in properties else camel(str(key))
        if name == "uRL":
            name = "URL"
        field_path = (*path, name)
        removed = REMOVED_FIELDS.get(field_path)
        if name in ("git", "atom") and "input" in path:  # at any depth of the input tree
            removed = REMOVED_FIELDS[("input", name)]
        if removed:
            raise InvalidArgument(
                f"{source}: `{_dotted(path, key)}` is a Pachyderm 1.x field that 2.x removed",
                removed,
            )
        if name not in properties:
            snake = [_snake(p) for p in properties]
            raise InvalidArgument(
                f"{source}: unknown field `{_dotted(path, key)}`"
                f"{did_you_mean(str(key), [*properties, *snake])}",
                f"known fields here: {', '.join(sorted(_snake(p) for p in properties))}",
            )
        if name in out:
            raise InvalidArgument(f"{source}: `{_dotted(path, key)}` is given twice")
        out[name] = _normalize(item, properties[name], field_path, source)
    return out


def _snake(name: str) -> str:
    return name if name == "URL" else re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _dotted(path: tuple[str, ...], key: Any) -> str:
    return ".".join([*(_snake(p) for p in path), str(key)])


def validate_schema(spec: Spec, source: str = "<spec>") -> None:
    """Check a normalised spec against Pachyderm's CreatePipelineRequest JSON schema."""
    # jsonschema takes ~45 ms to import: only commands that read specs pay for it.
    import jsonschema

    body = {k: v for k, v in spec.items() if k not in ("update", "reprocess")}
    validator = jsonschema.Draft4Validator(schema())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = ".".join(_snake(str(p)) for p in error.absolute_path) or "the spec"
        raise InvalidArgument(
            f"{source}: `{where}` does not match Pachyderm's pipeline schema: {_short(error)}",
            "see https://docs.pachyderm.com/latest/build-dags/pipeline-spec/",
        )


def _short(error: Any) -> str:
    if error.validator == "pattern" and "s$" in str(error.validator_value):
        return f"{error.instance!r} is not a duration; write seconds with an 's', like \"600s\""
    if error.validator == "oneOf" and error.context:
        types = sorted({str(e.validator_value) for e in error.context if e.validator == "type"})
        if types:
            return f"{error.instance!r} should be {' or '.join(t for t in types if t != 'null')}"
    return str(error.message).splitlines()[0][:200]


def parse_duration(text: str | None, field: str) -> float | None:
    """protobuf Duration JSON: decimal seconds with an 's' ("600s", "1.5s")."""
    if text is None:
        return None
    match = re.fullmatch(r"([0-9]+\.?[0-9]*|\.[0-9]+)s", str(text))
    if not match:
        raise InvalidArgument(
            f"`{field}` is {text!r}, not a duration", 'write seconds with an "s", like "600s"'
        )
    return float(match.group(1))
