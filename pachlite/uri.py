"""pachctl's reference grammar (docs/semantics.md §5.1, §7.1), parsed into plain values.

repo                       the repo (a branch or commit may then be required)
project/repo               a repo of another project than the one the reader is in
repo@branch                the head of a branch
repo@<32-hex id>           a commit
repo@branch=<id>           a commit, named through its branch
repo@ref^ / ^N / ~N        the Nth ancestor of ref
repo@branch.N              the Nth commit of the branch, counting from its first (1)
...:/path                  a file or directory in that commit
"""

from __future__ import annotations

import re

from pachlite.errors import InvalidArgument
from pachlite.lazyclass import dataclass
from pachlite.paths import DEFAULT_PROJECT, is_commit_id, validate_key, validate_name

_ANCESTRY = re.compile(r"^(?P<base>[^\^~.]+)(?P<ops>(?:[\^~]\d*|\.\d+)*)$")
_OP = re.compile(r"([\^~])(\d*)|\.(\d+)")


@dataclass(frozen=True)
class CommitRef:
    """A commit named by branch or ID, plus an ancestry walk to apply."""

    repo: str  # the repo's key: `repo`, or `project/repo` outside `default`
    branch: str | None = None
    commit: str | None = None
    ancestors: int = 0  # how many parents to walk back (^N, ~N)
    nth: int | None = None  # .N: the Nth commit of the branch, 1-based

    @property
    def ref(self) -> str:
        return self.commit or self.branch or ""

    def __str__(self) -> str:
        text = self.repo
        if self.branch and self.commit:
            text += f"@{self.branch}={self.commit}"
        elif self.ref:
            text += f"@{self.ref}"
        if self.nth is not None:
            text += f".{self.nth}"
        if self.ancestors:
            text += f"^{self.ancestors}"
        return text


@dataclass(frozen=True)
class FileRef:
    commit: CommitRef
    path: str  # as given; validated by whoever uses it

    def __str__(self) -> str:
        return f"{self.commit}:{self.path}"


def parse_commit_ref(
    text: str, default_branch: str | None = None, *, project: str = DEFAULT_PROJECT
) -> CommitRef:
    """Parse `[project/]repo[@ref]`; `default_branch` fills in a missing ref (None keeps it
    empty); a repo without a project is read in `project`."""
    if ":" in text:
        raise InvalidArgument(
            f"unexpected path in {text!r}", "name a commit as repo@branch or repo@commit-id"
        )
    repo, at, ref = text.partition("@")
    repo = validate_key("repo", repo, project)
    if not at:
        return CommitRef(repo=repo, branch=default_branch)
    if not ref:
        raise InvalidArgument(f"empty reference after '@' in {text!r}", "write repo@branch")
    match = _ANCESTRY.match(ref)
    if not match:
        raise InvalidArgument(
            f"cannot parse reference {ref!r} in {text!r}",
            "use branch, commit-id, branch=commit-id, ref^N or branch.N",
        )
    base, ops = match.group("base"), match.group("ops")
    ancestors, nth = _parse_ancestry(ops, text)
    branch, eq, commit = base.partition("=")
    if eq:
        validate_name("branch", branch)
        if not is_commit_id(commit):
            raise InvalidArgument(
                f"{commit!r} in {text!r} is not a commit ID", "commit IDs are 32 hex digits"
            )
        return CommitRef(repo, branch=branch, commit=commit, ancestors=ancestors, nth=nth)
    if is_commit_id(base):
        if nth is not None:
            raise InvalidArgument(f"'.N' needs a branch, not a commit, in {text!r}")
        return CommitRef(repo, commit=base, ancestors=ancestors)
    validate_name("branch", base)
    return CommitRef(repo, branch=base, ancestors=ancestors, nth=nth)


def _parse_ancestry(ops: str, text: str) -> tuple[int, int | None]:
    ancestors, nth = 0, None
    for _caret, count, dot in _OP.findall(ops):
        if dot:
            if nth is not None or ancestors:
                raise InvalidArgument(f"'.N' must come first and only once in {text!r}")
            nth = int(dot)
            if nth < 1:
                raise InvalidArgument(f"'.N' counts from 1 in {text!r}")
        else:
            ancestors += int(count) if count else 1
    return ancestors, nth


def parse_file_ref(
    text: str, default_branch: str | None = "master", *, project: str = DEFAULT_PROJECT
) -> FileRef:
    """Parse `[project/]repo[@ref][:path]`; a missing path is '' (callers choose the default)."""
    commit_text, _, path = text.partition(":")
    return FileRef(parse_commit_ref(commit_text, default_branch, project=project), path)


def parse_branch_ref(text: str, *, project: str = DEFAULT_PROJECT) -> tuple[str, str]:
    """Parse `[project/]repo@branch` exactly (no commit, no ancestry)."""
    ref = parse_commit_ref(text, project=project)
    if ref.branch is None or ref.commit or ref.ancestors or ref.nth is not None:
        raise InvalidArgument(f"{text!r} is not a branch", "write repo@branch")
    return ref.repo, ref.branch
