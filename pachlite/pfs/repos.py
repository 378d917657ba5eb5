"""Repos: create, list, inspect, delete (docs/semantics.md §5.1, §5.3)."""

from __future__ import annotations

import time

from pachlite.errors import AlreadyExists, Conflict, InvalidArgument
from pachlite.model import RepoInfo
from pachlite.paths import split_key, validate_key
from pachlite.pfs import metadata
from pachlite.pfs.projects import require_project
from pachlite.pfs.records import RepoRecord
from pachlite.pfs.refs import require_repo
from pachlite.pfs.store import Store

REPO_TYPES = ("user", "spec", "meta")


def create_repo(
    store: Store, name: str, *, description: str = "", update: bool = False, type_: str = "user"
) -> RepoInfo:
    name = validate_key("repo", name)
    project = split_key(name)[0]
    if type_ not in REPO_TYPES:
        raise InvalidArgument(f"unknown repo type {type_!r}", f"use one of {', '.join(REPO_TYPES)}")
    with store.db.atomic():
        require_project(store, project)
        existing = store.db.one("SELECT * FROM repos WHERE name = ?", (name,))
        if existing is not None:
            if not update:
                raise AlreadyExists(
                    f"repo {name!r} already exists",
                    f"use `pachlite inspect repo {name}`, or --update to change its description",
                )
            store.db.execute(
                "UPDATE repos SET description = ? WHERE id = ?", (description, existing["id"])
            )
        else:
            store.db.execute(
                "INSERT INTO repos (name, type, description, created, project)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, type_, description, time.time(), project),
            )
        return repo_info(store, require_repo(store, name))


def repo_info(store: Store, repo: RepoRecord) -> RepoInfo:
    branches = store.db.all(
        """SELECT b.name, t.size + COALESCE(s.bytes, 0) AS size FROM branches b
           LEFT JOIN commits c ON c.id = b.head LEFT JOIN trees t ON t.hash = c.tree
           LEFT JOIN staged_totals s ON s.commit_row = c.id
           WHERE b.repo_id = ? ORDER BY b.name""",
        (repo.id,),
    )
    return RepoInfo(
        name=repo.name,
        type=repo.type,
        description=repo.description,
        created=repo.created,
        # Like pachctl's "SIZE (MAX)": the largest branch head, not the sum of history.
        size_bytes=max((b["size"] or 0 for b in branches), default=0),
        branches=[b["name"] for b in branches],
        project=repo.project,
        metadata=metadata.read(store, "repo", repo.id),
    )


def list_repos(
    store: Store, *, all_types: bool = False, projects: list[str] | None = None
) -> list[RepoInfo]:
    """Repos, newest first: those of `projects` (each must exist), or of every project."""
    if projects is None:
        rows = store.db.all("SELECT * FROM repos ORDER BY created DESC, name")
    else:
        for project in projects:
            require_project(store, project)
        marks = ", ".join("?" for _ in projects)
        rows = store.db.all(
            f"SELECT * FROM repos WHERE project IN ({marks}) ORDER BY created DESC, name",
            projects,
        )
    found = [RepoRecord.from_row(r) for r in rows]
    return [repo_info(store, r) for r in found if all_types or r.type == "user"]


def inspect_repo(store: Store, name: str) -> RepoInfo:
    return repo_info(store, require_repo(store, name))


def delete_repo(store: Store, name: str, *, force: bool = False) -> None:
    """Delete a repo's branches and commits; refused while other repos build on it."""
    with store.db.atomic():
        repo = require_repo(store, name)
        users = store.db.all(
            """SELECT DISTINCT r.name FROM branch_provenance p
               JOIN branches up ON up.id = p.upstream
               JOIN branches down ON down.id = p.downstream JOIN repos r ON r.id = down.repo_id
               WHERE up.repo_id = ? AND down.repo_id != ?
               UNION
               SELECT DISTINCT r.name FROM commit_provenance p
               JOIN commits up ON up.id = p.upstream
               JOIN commits down ON down.id = p.downstream JOIN repos r ON r.id = down.repo_id
               WHERE up.repo_id = ? AND down.repo_id != ?""",
            (repo.id, repo.id, repo.id, repo.id),
        )
        if users and not force:
            names = ", ".join(sorted(u[0] for u in users))
            raise Conflict(
                f"repo {name!r} is in the provenance of {names}",
                "delete those first, or pass --force to delete it and cut the links",
            )
        rid = repo.id
        store.db.execute(
            """DELETE FROM branch_provenance WHERE upstream IN
               (SELECT id FROM branches WHERE repo_id = ?)""",
            (rid,),
        )
        store.db.execute(
            """DELETE FROM commit_provenance WHERE upstream IN
               (SELECT id FROM commits WHERE repo_id = ?)""",
            (rid,),
        )
        store.db.execute("DELETE FROM branches WHERE repo_id = ?", (rid,))
        store.db.execute("UPDATE commits SET parent = NULL WHERE repo_id = ?", (rid,))
        store.db.execute("DELETE FROM commits WHERE repo_id = ?", (rid,))
        store.db.execute("DELETE FROM repos WHERE id = ?", (rid,))
