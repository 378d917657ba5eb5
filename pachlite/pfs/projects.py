"""Projects: create, list, inspect, delete (Pachyderm 2.x; docs/semantics.md §5.4).

`default` always exists (migration 0005) and cannot be deleted; a project is deleted only
once it holds no repo (pipelines own an output repo, so none is left either), with pachd's
FAILED_PRECONDITION text (src/server/pfs/server/driver.go: deleteProject).
"""

from __future__ import annotations

import time

from pachlite.errors import (
    AlreadyExists,
    InvalidArgument,
    ProjectNotEmpty,
    ProjectNotFound,
    did_you_mean,
)
from pachlite.model import ProjectInfo
from pachlite.paths import DEFAULT_PROJECT, validate_name
from pachlite.pfs.db import Row
from pachlite.pfs.store import Store

MAX_PROJECT_NAME = 51  # pachd's limit (src/internal/pfsdb: projectNameMaxLength)


def create_project(
    store: Store, name: str, *, description: str = "", update: bool = False
) -> ProjectInfo:
    validate_name("project", name)
    if len(name) > MAX_PROJECT_NAME:
        raise InvalidArgument(
            f"invalid project name {name!r}: longer than {MAX_PROJECT_NAME} characters",
            "choose a shorter project name",
        )
    with store.db.atomic():
        existing = store.db.one("SELECT * FROM projects WHERE name = ?", (name,))
        if existing is not None:
            if not update:
                raise AlreadyExists(
                    f'project "{name}" already exists',
                    f"use `pachlite inspect project {name}`, or --update to change it",
                )
            store.db.execute(
                "UPDATE projects SET description = ? WHERE id = ?", (description, existing["id"])
            )
        else:
            store.db.execute(
                "INSERT INTO projects (name, description, created) VALUES (?, ?, ?)",
                (name, description, time.time()),
            )
        return inspect_project(store, name)


def list_projects(store: Store) -> list[ProjectInfo]:
    return [_info(store, r) for r in store.db.all("SELECT * FROM projects ORDER BY name")]


def inspect_project(store: Store, name: str) -> ProjectInfo:
    return _info(store, require_project(store, name))


def require_project(store: Store, name: str) -> Row:
    row = store.db.one("SELECT * FROM projects WHERE name = ?", (name,))
    if row is None:
        names = [r["name"] for r in store.db.all("SELECT name FROM projects")]
        raise ProjectNotFound(
            f'project "{name}" not found',
            f"create it with `pachlite create project {name}` or see `pachlite list project`"
            + did_you_mean(name, names),
        )
    return row


def delete_project(store: Store, name: str) -> None:
    """Delete a project that holds no repo (pachd's `--force`, which leaves its repos without
    a project, is not offered)."""
    with store.db.atomic():
        require_project(store, name)
        if name == DEFAULT_PROJECT:
            raise InvalidArgument(
                "the default project cannot be deleted", "delete its repos and pipelines instead"
            )
        repos = store.db.all("SELECT name FROM repos WHERE project = ? ORDER BY name", (name,))
        if repos:
            still = "; ".join(f"repo {r['name']} still exists" for r in repos)
            raise ProjectNotEmpty(
                f"cannot delete project {name}: {still}",
                "delete its pipelines and repos first",
            )
        store.db.execute("DELETE FROM projects WHERE name = ?", (name,))
        # keyed by name, not a row: no foreign key takes it (pfs.metadata)
        store.db.execute("DELETE FROM project_metadata WHERE project = ?", (name,))


def _info(store: Store, row: Row) -> ProjectInfo:
    # pfs.metadata owns the edits; reading a project's pairs here keeps the import one way
    pairs = store.db.all(
        "SELECT key, value FROM project_metadata WHERE project = ? ORDER BY key", (row["name"],)
    )
    return ProjectInfo(
        name=row["name"],
        description=row["description"],
        created=row["created"],
        metadata={p["key"]: p["value"] for p in pairs},
    )
