"""`edit metadata`: pachctl's verb for metadata.API (src/server/metadata/cmds/cmds.go).

    pachlite edit metadata KIND TARGET OP DATA [KIND TARGET OP DATA]...

Each group of four is one edit; one command line is one transaction, so either every edit
lands or none does. `inspect repo|branch|commit` shows what they hold.
"""

from __future__ import annotations

from pachlite.cli import keyvalues
from pachlite.cli.command import Context, UsageError, argument
from pachlite.cli.output import echo
from pachlite.cli.verbs import edit
from pachlite.errors import InvalidArgument
from pachlite.model import METADATA_KINDS, METADATA_OPS, MetadataEdit

# The targets pachctl takes that pachlite keeps no metadata for.
_NOT_KEPT = ("cluster", "pipeline")


@edit.command("metadata")
@argument("edits", metavar="KIND TARGET OP DATA", required=False, nargs=-1)
def edit_metadata(ctx: Context, edits: tuple[str, ...]) -> None:
    """Edit the metadata of projects, repos, branches and commits, all in one transaction.

    Each edit is four arguments. KIND is project, repo, branch or commit; TARGET names one
    (a project's name, REPO, REPO@BRANCH, or REPO@REF such as REPO@master^1 or REPO@<id>);
    OP is one of:

      add KEY=VALUE       add a key; refused if it exists
      edit KEY=VALUE      set a key, whether or not it exists
      delete KEY          remove a key (a missing key is no error)
      replace PAIRS       make PAIRS the whole metadata: k1=v1;k2=v2, '{"k1":"v1"}', or ''

    Keys and values may be quoted: 'a key'="line one\\nline two". Example:

      pachlite edit metadata repo images add owner=vision \\
                             commit images@master edit checked=yes
    """
    if len(edits) % 4:
        raise UsageError("must supply arguments in multiples of 4: KIND TARGET OP DATA")
    groups = [edits[i : i + 4] for i in range(0, len(edits), 4)]
    ctx.client().edit_metadata([_edit(n, *group) for n, group in enumerate(groups)])
    echo("ok", err=True)  # as pachctl says it


def _edit(index: int, kind: str, target: str, op: str, data: str) -> MetadataEdit:
    kind, op = kind.lower(), op.lower()
    if kind in _NOT_KEPT:
        raise InvalidArgument(f"edit #{index}: pachlite keeps no {kind} metadata",
                              "edit a project's, repo's, branch's or commit's")  # fmt: skip
    if kind not in METADATA_KINDS:
        raise InvalidArgument(f"edit #{index}: unknown object type {kind!r}",
                              f"use one of {', '.join(METADATA_KINDS)}")  # fmt: skip
    if op not in METADATA_OPS:
        raise InvalidArgument(f"edit #{index}: unknown operation {op!r}",
                              f"use one of {', '.join(METADATA_OPS)}")  # fmt: skip
    if op == "delete":
        return MetadataEdit(kind, target, op, key=data)
    try:
        if op == "replace":
            return MetadataEdit(kind, target, op, replacement=keyvalues.parse_many(data))
        key, value = keyvalues.parse_one(data)
    except InvalidArgument as error:
        raise InvalidArgument(f"edit #{index}: {error.message}", error.hint) from None
    return MetadataEdit(kind, target, op, key=key, value=value)
