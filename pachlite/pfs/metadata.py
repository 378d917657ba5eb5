"""Metadata: key/value pairs on projects, repos, branches and commits (metadata.API).

A batch of edits is one transaction. As in pachd (src/server/metadata/metadata.go), every
edit is tried, in order, each seeing what the ones before it did; if any fails, none lands,
and the error names every failure with its edit's index.
"""

from __future__ import annotations

from collections.abc import Sequence

from pachlite.errors import AlreadyExists, EditsFailed, InvalidArgument, PachliteError
from pachlite.model import METADATA_KINDS, METADATA_OPS, MetadataEdit
from pachlite.paths import DEFAULT_PROJECT, validate_key
from pachlite.pfs.projects import require_project
from pachlite.pfs.refs import require_branch, require_repo, resolve_commit
from pachlite.pfs.store import Store
from pachlite.uri import parse_branch_ref, parse_commit_ref

# Each kind's table and the column naming what a row annotates (migrations.METADATA).
_TABLES = {
    "project": ("project_metadata", "project"),
    "repo": ("repo_metadata", "repo_id"),
    "branch": ("branch_metadata", "branch_id"),
    "commit": ("commit_metadata", "commit_row"),
}

Owner = int | str  # a row id, or a project's name


def read(store: Store, kind: str, owner: Owner) -> dict[str, str]:
    """The metadata of one thing, by key."""
    table, column = _TABLES[kind]
    rows = store.db.all(f"SELECT key, value FROM {table} WHERE {column} = ? ORDER BY key", (owner,))
    return {row["key"]: row["value"] for row in rows}


def project_metadata(store: Store, project: str) -> dict[str, str]:
    return read(store, "project", _project(store, project))


def edit_metadata(store: Store, edits: Sequence[MetadataEdit]) -> None:
    """Apply `edits` together, or none of them (EditsFailed lists what failed)."""
    for index, edit in enumerate(edits):
        _check(index, edit)
    with store.db.atomic():
        failures: list[tuple[int, PachliteError]] = []
        for index, edit in enumerate(edits):
            try:
                _apply(store, edit)
            except PachliteError as error:
                failures.append((index, error))
        if failures:
            raise EditsFailed(failures)  # rolls back the edits that worked


def _check(index: int, edit: MetadataEdit) -> None:
    """What can never work, refused before anything is read (pachd validates requests so)."""
    if edit.kind not in METADATA_KINDS:
        raise InvalidArgument(
            f"edit #{index}: unknown object type {edit.kind!r}", f"use {', '.join(METADATA_KINDS)}"
        )
    if edit.op not in METADATA_OPS:
        raise InvalidArgument(
            f"edit #{index}: unknown operation {edit.op!r}", f"use {', '.join(METADATA_OPS)}"
        )
    keys = list(edit.replacement) if edit.op == "replace" else [edit.key]
    if any(not key for key in keys):
        raise InvalidArgument(f"edit #{index}: a metadata key cannot be empty")


def _apply(store: Store, edit: MetadataEdit) -> None:
    table, column = _TABLES[edit.kind]
    owner = _owner(store, edit)
    if edit.op == "add":
        exists = store.db.one(
            f"SELECT 1 FROM {table} WHERE {column} = ? AND key = ?", (owner, edit.key)
        )
        if exists is not None:
            raise AlreadyExists(
                f"{edit.kind} {edit.target} already has metadata key {edit.key!r}",
                "use `edit` to change its value",
            )
    if edit.op in ("add", "edit"):
        store.db.execute(
            f"""INSERT INTO {table} ({column}, key, value) VALUES (?, ?, ?)
                ON CONFLICT ({column}, key) DO UPDATE SET value = excluded.value""",
            (owner, edit.key, edit.value),
        )
    elif edit.op == "delete":  # a key that is not there is no error, as in pachd
        store.db.execute(f"DELETE FROM {table} WHERE {column} = ? AND key = ?", (owner, edit.key))
    else:  # replace
        store.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (owner,))
        store.db.executemany(
            f"INSERT INTO {table} ({column}, key, value) VALUES (?, ?, ?)",
            [(owner, key, value) for key, value in edit.replacement.items()],
        )


def _owner(store: Store, edit: MetadataEdit) -> Owner:
    """The row (or project name) an edit's target names; NotFound when there is none."""
    if edit.kind == "project":
        return _project(store, edit.target)
    if edit.kind == "repo":
        return require_repo(store, validate_key("repo", edit.target)).id
    if edit.kind == "branch":
        repo, branch = parse_branch_ref(edit.target)
        return require_branch(store, require_repo(store, repo), branch).id
    ref = parse_commit_ref(edit.target)
    if not ref.ref:
        raise InvalidArgument(
            f"{edit.target!r} names a repo, not a commit", f"write {edit.target}@master"
        )
    return resolve_commit(store, ref, settle=False).id


def _project(store: Store, name: str) -> str:
    return str(require_project(store, name or DEFAULT_PROJECT)["name"])
