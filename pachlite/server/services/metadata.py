"""metadata.API EditMetadata on projects, repos, branches and commits.

Following pachd (src/server/metadata/server/api_server.go, src/server/metadata/metadata.go):
the request is validated first (INVALID_ARGUMENT "validate request: ...", the texts of its
protoc-gen-validate rules), then every edit is tried in one transaction; if any fails, none
lands and the answer lists each failure as "edit #N: ...", one a line, after "apply edits: ".
It is FAILED_PRECONDITION when a failure is an `add_key` of a key that exists, else UNKNOWN
(pachd wraps every other failure, a missing repo too, in an UNKNOWN status).
"""

from __future__ import annotations

import grpc
from pachyderm_sdk.api import metadata

from pachlite.errors import AlreadyExists, EditsFailed, PachliteError
from pachlite.model import METADATA_KINDS, MetadataEdit
from pachlite.paths import DEFAULT_PROJECT
from pachlite.server import pickers, status
from pachlite.server.refs import USER_TYPE
from pachlite.server.registry import Call, Message, Registry

METHOD = "/metadata.API/EditMetadata"
_OPS = {"add_key": "add", "edit_key": "edit", "delete_key": "delete", "replace": "replace"}
_TARGETS = {"project": pickers.project, "repo": pickers.repo, "branch": pickers.branch,
            "commit": pickers.commit}  # fmt: skip


def register(served: Registry) -> None:
    @served.unary("metadata.API", "EditMetadata", metadata.EditMetadataRequest)
    def edit_metadata(request: Message, call: Call) -> Message:
        for edit in request.edits:
            kind, _ = pickers.one_of(edit, "target")
            if kind and kind not in METADATA_KINDS:  # the cluster's, a pipeline's (docs/api.md)
                raise status.Status(grpc.StatusCode.UNIMPLEMENTED,
                                    f"pachlite keeps no {kind} metadata; edit a project's, "
                                    "repo's, branch's or commit's")  # fmt: skip
        problems = [p for i, edit in enumerate(request.edits) for p in _problems(i, edit)]
        if problems:
            raise status.invalid(f"validate request: {'; '.join(problems)}")
        edits, unpickable = [], []
        for index, edit in enumerate(request.edits):
            try:
                edits.append(_edit(edit))
            except pickers.Unpickable as error:
                kind, _ = pickers.one_of(edit, "target")
                unpickable.append(f"edit #{index}: pick {kind}: {error}")
        if unpickable:
            raise status.Status(grpc.StatusCode.UNKNOWN, _applied("\n".join(unpickable)))
        try:
            call.client.edit_metadata(edits)
        except EditsFailed as failed:
            raise _refusal(call, request.edits, failed) from None
        return metadata.EditMetadataResponse()


def _problems(index: int, edit: Message) -> list[str]:
    """pachd's validation of one Edit (src/metadata/metadata.pb.validate.go), as its texts."""
    found = []
    kind, _ = pickers.one_of(edit, "target")
    if not kind:
        found.append("invalid Edit.Target: value is required")
    op, value = pickers.one_of(edit, "op")
    if not op:
        found.append("invalid Edit.Op: value is required")
    elif op == "replace":
        empty = [
            f"invalid Edit_Replace.Replacement[{key}]: value length must be at least 1 runes"
            for key in sorted(value.replacement) if not key
        ]  # fmt: skip
        found += [f"invalid Edit.Replace: embedded message failed validation | caused by: {e}"
                  for e in empty]  # fmt: skip
    elif not value.key:
        message = "".join(part.title() for part in op.split("_"))  # add_key -> AddKey
        found.append(
            f"invalid Edit.{message}: embedded message failed validation | caused by: "
            f"invalid Edit_{message}.Key: value length must be at least 1 runes"
        )
    if not found:
        return []
    causes = "; ".join(found)
    return [f"invalid EditMetadataRequest.Edits[{index}]: embedded message failed validation "
            f"| caused by: {causes}"]  # fmt: skip


def _edit(edit: Message) -> MetadataEdit:
    kind, picker = pickers.one_of(edit, "target")
    op, value = pickers.one_of(edit, "op")
    target = _TARGETS[kind](picker)
    if op == "replace":
        return MetadataEdit(kind, target, "replace", replacement=dict(value.replacement))
    return MetadataEdit(kind, target, _OPS[op], key=value.key, value=getattr(value, "value", ""))


def _refusal(call: Call, edits: list[Message], failed: EditsFailed) -> status.Status:
    lines, exists = [], False
    for index, error in failed.failures:
        edit = edits[index]
        kind, picker = pickers.one_of(edit, "target")
        if isinstance(error, AlreadyExists):
            exists = True
            key = pickers.one_of(edit, "op")[1].key
            lines.append(
                f'edit #{index}: edit {kind} "{_key(call, kind, picker)}": add_key target key '
                f'"{key}" already exists; use edit_key instead'
            )
        else:
            lines.append(f"edit #{index}: pick {kind}: {_told(kind, picker, error)}")
    code = grpc.StatusCode.FAILED_PRECONDITION if exists else grpc.StatusCode.UNKNOWN
    return status.Status(code, _applied("\n".join(lines)))


def _applied(text: str) -> str:
    return f"apply edits: {text}"


def _key(call: Call, kind: str, picker: Message) -> str:
    """What pachd's error calls the edited thing: its Key() (a commit's by its ID)."""
    if kind == "project":
        return DEFAULT_PROJECT
    if kind == "repo":
        return pickers.repo_key(picker)
    if kind == "branch":
        return pickers.branch_key(picker)
    commit_id = call.client.inspect_commit(pickers.commit(picker)).id
    return f"{pickers.commit_repo_key(picker)}@{commit_id}"


def _told(kind: str, picker: Message, error: PachliteError) -> str:
    """A failure to find what an edit names, in pachd's words where pachlite has them."""
    return status.translate(error, _subject(kind, picker), METHOD)[1]


def _subject(kind: str, picker: Message) -> status.Subject:
    """What an edit names, as pachlite's server prints it in errors ("default/images")."""
    if kind == "project":
        return status.NONE
    if kind == "repo":
        return status.Subject(repo=_shown(pickers.repo_key(picker)))
    if kind == "branch":
        repo, _, branch = pickers.branch_key(picker).partition("@")
        return status.Subject(repo=_shown(repo), branch=branch)
    repo = _shown(pickers.commit_repo_key(picker))
    which, value = pickers.one_of(picker, "picker")
    if which == "id":
        return status.Subject(repo=repo, commit=f"{repo}@{value.id}")
    if which == "branch_head":
        return status.Subject(repo=repo, branch=pickers.branch_key(value).partition("@")[2])
    return status.Subject(repo=repo)


def _shown(key: str) -> str:
    return key.removesuffix(f".{USER_TYPE}")
