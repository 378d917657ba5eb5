"""One hierarchy of errors people can act on.

Each error renders as one line: what was wrong, then what to do next. The CLI maps the classes
to exit codes in one place (`pachlite.cli.errors`); library code only raises.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable


class PachliteError(Exception):
    """Base of every expected failure: the message is for people, the class for programs."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class InvalidArgument(PachliteError):
    """Input that can never work as given: a bad path, name, reference or flag combination."""


class InvalidPath(InvalidArgument):
    """A file path that breaks Pachyderm's path rules."""


class NotFound(PachliteError):
    """Something named does not exist."""


class ProjectNotFound(NotFound):
    """pachd's text (`project "X" not found`) is the message; the hint says what to do."""


class RepoNotFound(NotFound):
    pass


class BranchNotFound(NotFound):
    pass


class CommitNotFound(NotFound):
    pass


class FileNotFound(NotFound):
    pass


class AlreadyExists(PachliteError):
    pass


class Conflict(PachliteError):
    """The request is valid but the current state forbids it (finished commit, open head...)."""


class ProjectNotEmpty(Conflict):
    """A project that still holds repos cannot be deleted."""


class Timeout(PachliteError):
    pass


class FetchFailed(PachliteError):
    """Reading a source outside the store (URL, local file) failed."""


class StoreCorrupt(PachliteError):
    """Stored data does not match its hash or a metadata reference is dangling."""


class Unavailable(PachliteError):
    """A server pachlite talks to (a real pachd, the Kubernetes API) cannot be reached."""


class StoreNotWritable(PachliteError):
    """The data root cannot be written: a read-only mount or file, no permission, or a root
    that cannot be created. Reads of an existing store still work."""


class DiskFull(PachliteError):
    """The disk holding the data root (or a datum's scratch space) has no space left."""


class EditsFailed(PachliteError):
    """Some edits of one EditMetadata batch failed, so none was made: every failure, each with
    the index of its edit, in order (pachd also tries every edit and reports them all)."""

    def __init__(self, failures: list[tuple[int, PachliteError]]) -> None:
        self.failures = failures
        told = "; ".join(f"edit #{i}: {error}" for i, error in failures)
        super().__init__(f"no metadata was changed: {told}")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for a mistyped name, or '' when nothing is close."""
    import difflib  # only for an error message: not on every start

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def from_os_error(exc: OSError, doing: str) -> PachliteError:
    """The error people can act on for an OSError met while `doing` something ("storing
    /x.csv"): a full disk, a read-only file system and a missing permission each say so."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"no space left on the disk while {doing}",
            "free some space and run it again; nothing half-written was kept",
        )
    if exc.errno == errno.EROFS:
        return StoreNotWritable(f"{doing} failed: read-only file system")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return StoreNotWritable(
            f"{doing} failed: permission denied", "check who owns the files and folders involved"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidPath(f"{doing} failed: file name too long")
    return PachliteError(f"{doing} failed: {reason}")
