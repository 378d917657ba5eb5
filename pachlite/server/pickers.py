"""pfs_v2 pickers (ProjectPicker, RepoPicker, BranchPicker, CommitPicker) to pachlite's
references, and the keys pachd prints for what they pick.

A picker names one thing the way pachd's pfsdb.Pick* functions resolve it
(src/internal/pfsdb/{projects,repos,branches,commits}.go): a repo by project and name, a
branch by repo and name, a commit by a branch's head, by repo and ID, as an ancestor of
another (`^N`), or counting from a branch's first commit (`BranchRoot`, offset 0 is the
first commit: pachlite's `.1`). A picker's repo type is not checked: pachlite's repo names
are unique across types.
"""

from __future__ import annotations

import betterproto

from pachlite.paths import DEFAULT_PROJECT, qualify
from pachlite.server.refs import USER_TYPE
from pachlite.server.registry import Message


class Unpickable(Exception):
    """A picker that names nothing pachlite has: pachd's text for it, as one edit's error."""


def project(picker: Message | None) -> str:
    """The project's name (the store says whether it exists, when the edit is applied)."""
    return _project_name(picker)


def repo(picker: Message | None) -> str:
    """The repo's name, `project/name` outside `default` (pachlite's qualified names)."""
    name = _repo_name(picker, "repo")
    in_project = project(name.project)
    if not name.name:
        raise Unpickable("no repo specified")
    return qualify(in_project, str(name.name))


def branch(picker: Message | None) -> str:
    _, name = _one(picker, "branch")
    return f"{repo(name.repo)}@{name.name}"


def commit(picker: Message | None) -> str:
    which, value = _one(picker, "commit")
    if which == "branch_head":
        return branch(value)
    if which == "id":
        return f"{repo(value.repo)}@{value.id}"
    if which == "ancestor":
        return f"{commit(value.start)}^{value.offset}"
    # branch_root
    return f"{branch(value.branch)}.{value.offset + 1}"


def repo_key(picker: Message | None) -> str:
    """pachd's `Repo.Key()`: "project/name.type"."""
    name = _repo_name(picker, "repo")
    return f"{_project_name(name.project)}/{name.name}.{name.type or USER_TYPE}"


def branch_key(picker: Message | None) -> str:
    _, name = _one(picker, "branch")
    return f"{repo_key(name.repo)}@{name.name}"


def commit_repo_key(picker: Message | None) -> str:
    """The repo key of the repo a commit picker goes through."""
    which, value = _one(picker, "commit")
    if which == "branch_head":
        return repo_key(_one(value, "branch")[1].repo)
    if which == "id":
        return repo_key(value.repo)
    if which == "ancestor":
        return commit_repo_key(value.start)
    return repo_key(_one(value.branch, "branch")[1].repo)


def one_of(message: Message, group: str) -> tuple[str, Message]:
    """The field of a oneof group that is set, and its value ("" and None when none is)."""
    which, value = betterproto.which_one_of(message, group)
    return which, value


def _project_name(picker: Message | None) -> str:
    # A missing project means `default`, as everywhere in pachlite's server (refs.py).
    if picker is None:
        return DEFAULT_PROJECT
    which, name = one_of(picker, "picker")
    return str(name) if which and name else DEFAULT_PROJECT


def _repo_name(picker: Message | None, kind: str) -> Message:
    return _one(picker, kind)[1]


def _one(picker: Message | None, kind: str) -> tuple[str, Message]:
    if picker is None:
        raise Unpickable(f"{kind} picker cannot be nil")
    which, value = one_of(picker, "picker")
    if not which or value is None:
        raise Unpickable(f"{kind} picker cannot be nil")
    return which, value
