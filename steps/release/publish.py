"""Commit one file to a branch of a git remote and push it: how a release reaches ArgoCD.

The same commit may remove files (the other serving target's manifest of the same model), so
one promotion is one commit, and one `git revert` undoes all of it.

The edge of the release step (subprocesses and a scratch clone). Errors come out as
PublishError with one line saying what failed; a credential in the remote's URL is never
printed. A token for an HTTPS remote comes from GITOPS_TOKEN (a Pachyderm secret) and is
handed to git through its environment, never on a command line.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class Author:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Author:
        """'Name <email>', as git writes it."""
        match = re.fullmatch(r"\s*([^<>]+?)\s*<([^<>\s]+)>\s*", text)
        if not match:
            raise PublishError(f"git author {text!r} is not 'Name <email>'")
        return cls(match[1], match[2])


@dataclass(frozen=True)
class Published:
    commit: str
    changed: bool  # False: the branch already held this content (a retried datum)


def redact(text: str) -> str:
    """Every URL in `text` without its user or password (https://tok@host/ -> https://host/)."""
    return re.sub(r"([a-z][a-z0-9+.-]*://)[^/@\s'\"]*@", r"\1", text)


def _environment(author: Author, token: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME=author.name,
        GIT_AUTHOR_EMAIL=author.email,
        GIT_COMMITTER_NAME=author.name,
        GIT_COMMITTER_EMAIL=author.email,
        GIT_TERMINAL_PROMPT="0",  # a missing credential fails instead of waiting for a tty
    )
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraHeader",
            GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
        )
    return env


def _git(args: list[str], *, cwd: Path, env: Mapping[str, str], what: str) -> str:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if ln.startswith(("fatal:", "error:", "!"))), None)
        detail = detail or (lines[-1] if lines else f"exit status {result.returncode}")
        raise PublishError(redact(f"{what}: {detail}"))
    return result.stdout.strip()


def _absolute(remote: str) -> str:
    """A local path made absolute (git runs in a scratch folder); URLs and scp-style as given."""
    if "://" in remote or re.match(r"^[\w.-]+@[\w.-]+:", remote):
        return remote
    return str(Path(remote).resolve())


def _checkout(remote: str, branch: str, work: Path, env: Mapping[str, str]) -> bool:
    """A shallow clone of `branch` into work/repo; False where the remote has no such branch."""
    shown = redact(remote)
    remote = _absolute(remote)
    heads = _git(
        ["ls-remote", "--heads", remote, branch],
        cwd=work,
        env=env,
        what=f"cannot reach the git remote {shown}",
    )
    if not heads:
        return False
    _git(
        ["clone", "--quiet", "--depth", "1", "--branch", branch, remote, "repo"],
        cwd=work,
        env=env,
        what=f"cannot clone branch {branch} of {shown}",
    )
    return True


def _inside(repo: Path, path: str) -> Path:
    target = repo / path
    if not target.resolve().is_relative_to(repo.resolve()):
        raise PublishError(f"{path!r} lies outside the repository: give a relative path")
    return target


def publish(
    remote: str,
    branch: str,
    path: str,
    content: str,
    message: str,
    author: Author,
    token: str | None = None,
    remove: Sequence[str] = (),
) -> Published:
    """Commit `content` at `path` (and the removal of `remove`, where present) on `branch` of
    `remote` and push; the new commit's SHA."""
    env = _environment(author, token)
    with tempfile.TemporaryDirectory(prefix="reproml-release-") as scratch:
        work = Path(scratch)
        existed = _checkout(remote, branch, work, env)
        if not existed:  # a new repository or branch: start it
            _git(["init", "--quiet", "repo"], cwd=work, env=env, what="git init failed")
            _git(["checkout", "--quiet", "-b", branch], cwd=work / "repo", env=env, what="git")
        repo = work / "repo"
        target = _inside(repo, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        _git(["add", "--", path], cwd=repo, env=env, what="git add failed")
        for old in remove:
            if _inside(repo, old).is_file():
                _git(["rm", "--quiet", "--", old], cwd=repo, env=env, what="git rm failed")
        staged = subprocess.run(
            ["git", "diff", "--cached", "--quiet"], cwd=repo, env=env, check=False
        )
        if existed and staged.returncode == 0:  # already there: nothing to promote twice
            return Published(_git(["rev-parse", "HEAD"], cwd=repo, env=env, what="git"), False)
        _git(["commit", "--quiet", "-m", message], cwd=repo, env=env, what="git commit failed")
        commit = _git(["rev-parse", "HEAD"], cwd=repo, env=env, what="git rev-parse failed")
        _git(
            ["push", "--quiet", _absolute(remote), f"HEAD:refs/heads/{branch}"],
            cwd=repo,
            env=env,
            what=f"git push to {redact(remote)} (branch {branch}) was rejected",
        )
        return Published(commit, True)


def read_files(remote: str, branch: str, paths: Sequence[str]) -> dict[str, str | None]:
    """Each of `paths` on `branch` of `remote` (one clone), None where it does not exist."""
    env = _environment(Author("reproml", "reproml@reproml.invalid"), os.environ.get("GITOPS_TOKEN"))
    with tempfile.TemporaryDirectory(prefix="reproml-gitops-") as scratch:
        work = Path(scratch)
        if not _checkout(remote, branch, work, env):
            return dict.fromkeys(paths)
        found: dict[str, str | None] = {}
        for path in paths:
            target = work / "repo" / path
            found[path] = target.read_text() if target.is_file() else None
        return found


def read_file(remote: str, branch: str, path: str) -> str | None:
    """`path` on `branch` of `remote`, or None where the branch or the file does not exist."""
    return read_files(remote, branch, [path])[path]
