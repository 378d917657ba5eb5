"""Request messages to pachlite's references (`repo@branch`, `repo@ID^2`), and the names
Pachyderm prints for them in its errors.

A repo in a project is pachlite's `project/repo` key (`repo` alone in `default`); the engine
answers a project that does not exist with Pachyderm's NOT_FOUND 'project "X" not found'. A
missing project means `default`, as in pachd (the SDK's `Repo.__post_init__` fills it in, and
pachd's `EnsureProject` does the same).
"""

from __future__ import annotations

import re

import betterproto

from pachlite.paths import DEFAULT_PROJECT, qualify
from pachlite.server import status
from pachlite.server.registry import Message

USER_TYPE = "user"

# Pachyderm's commit IDs are UUIDs without dashes; anything else in Commit.id is a branch name
# with an optional ancestry suffix: master^2, master.3, <id>~1 (src/internal/ancestry).
_ANCESTRY = re.compile(r"^(?P<base>[^\^~.]*)(?P<suffix>([\^~]\d*|\.\d+)*)$")


def given(message: Message | None) -> bool:
    """Whether an optional message field came on the wire: an unset one reads as a default
    instance, not None."""
    return message is not None and bool(betterproto.serialized_on_wire(message))


def project_name(project: Message | None) -> str:
    """The project a `Project` names; an unset one is `default`."""
    return str((project.name if project is not None else "") or DEFAULT_PROJECT)


def repo_name(repo: Message | None) -> str:
    """The pachlite repo key a `Repo` names: `repo`, or `project/repo` outside `default`
    (whether the project exists, the engine says)."""
    if repo is None or not repo.name:
        raise status.invalid("no repo specified")
    return qualify(project_name(repo.project), str(repo.name))


def repo_type(repo: Message) -> str:
    return str(repo.type or USER_TYPE)


def shown_repo(repo: Message | None) -> str | None:
    """A repo as Pachyderm prints it: "project/name", with ".type" when not a user repo."""
    if repo is None or not repo.name:
        return None
    project = (repo.project.name if repo.project is not None else "") or DEFAULT_PROJECT
    kind = repo.type or USER_TYPE
    suffix = "" if kind == USER_TYPE else f".{kind}"
    return f"{project}/{repo.name}{suffix}"


def branch_ref(branch: Message | None) -> str:
    """`repo@branch` for a `Branch`."""
    if branch is None or not branch.name:
        raise status.invalid("branch cannot be nil")
    return f"{repo_name(branch.repo)}@{branch.name}"


def commit_ref(commit: Message | None) -> str:
    """`repo@ID`, `repo@branch` or `repo@branch^N` for a `Commit`: its ID wins; an empty ID
    means its branch's head; a non-UUID ID is a branch with ancestry, as pachd reads it."""
    if commit is None:
        raise status.invalid("no commit specified")
    repo = commit.repo if _named(commit.repo) else _branch_repo(commit)
    name = repo_name(repo)
    branch = (commit.branch.name if commit.branch is not None else "") or ""
    if commit.id and branch and commit.id[0] in ".^~":
        return f"{name}@{branch}{commit.id}"
    if commit.id:
        return f"{name}@{commit.id}"
    if branch:
        return f"{name}@{branch}"
    raise status.invalid("cannot resolve a commit with no ID or branch")


def shown_commit(commit: Message | None) -> str | None:
    """A commit as Pachyderm prints it: "project/repo@ID" or "project/repo@branch^1"."""
    if commit is None:
        return None
    repo = commit.repo if _named(commit.repo) else _branch_repo(commit)
    shown = shown_repo(repo)
    if shown is None:
        return None
    branch = (commit.branch.name if commit.branch is not None else "") or ""
    commit_id = commit.id or ""
    if branch and (not commit_id or commit_id[0] in ".^~"):
        return f"{shown}@{branch}{commit_id}"
    return f"{shown}@{commit_id or branch}"


def commit_subject(commit: Message | None) -> status.Subject:
    repo = None
    if commit is not None:
        repo = commit.repo if _named(commit.repo) else _branch_repo(commit)
    branch = _branch_of(commit)
    return status.Subject(repo=shown_repo(repo), branch=branch, commit=shown_commit(commit))


def branch_subject(branch: Message | None) -> status.Subject:
    if branch is None:
        return status.NONE
    return status.Subject(repo=shown_repo(branch.repo), branch=branch.name or None)


def repo_subject(repo: Message | None) -> status.Subject:
    return status.Subject(repo=shown_repo(repo))


def _named(repo: Message | None) -> bool:
    return repo is not None and bool(repo.name)


def _branch_repo(commit: Message) -> Message | None:
    return commit.branch.repo if commit.branch is not None else None


def _branch_of(commit: Message | None) -> str | None:
    """The branch a commit reference goes through, for "branch ... not found"."""
    if commit is None:
        return None
    if commit.id:
        match = _ANCESTRY.match(commit.id)
        base = match.group("base") if match else ""
        if base and not _is_uuid(base):
            return str(base)
        return None
    if commit.branch is not None and commit.branch.name:
        return str(commit.branch.name)
    return None


def _is_uuid(text: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{32}", text) is not None
