"""Errors to gRPC status codes and Pachyderm's message texts, in one place.

Clients match on both (the SDK's `repo_exists` on NOT_FOUND, scripts on "not found"), so the
codes and texts follow Pachyderm's src/server/pfs/pfs.go and its error interceptor
(src/internal/middleware/errors/interceptor.go): an error that carries no status there is
UNKNOWN, so pachlite's conflicts (a finished commit, an open parent) are UNKNOWN too, with the
text Pachyderm uses where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from pachlite import errors


class Status(Exception):
    """An answer with a given code and text, raised by a handler that knows Pachyderm's."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Status:
    return Status(grpc.StatusCode.INVALID_ARGUMENT, message)


def project_not_found(name: str) -> Status:
    return Status(grpc.StatusCode.NOT_FOUND, f'project "{name}" not found')


@dataclass(frozen=True)
class Subject:
    """What a request names, as Pachyderm prints it ("default/images", "default/images@ID"),
    so a pachlite error about it can be told in Pachyderm's words."""

    repo: str | None = None
    branch: str | None = None  # the branch's name alone
    commit: str | None = None


NONE = Subject()

# Codes for pachlite's error classes that Pachyderm has no text of its own for; the first
# matching class wins, so subclasses come before their bases.
_CODES: tuple[tuple[type[errors.PachliteError], grpc.StatusCode], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.Timeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.DiskFull, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.StoreCorrupt, grpc.StatusCode.DATA_LOSS),
    (errors.StoreNotWritable, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
)


def translate(exc: BaseException, subject: Subject, method: str) -> tuple[grpc.StatusCode, str]:
    """The code and one-line text a client gets for `exc`, raised while serving `method`."""
    if isinstance(exc, Status):
        return exc.code, exc.message
    if isinstance(exc, errors.PachliteError):
        text = _pachyderm_text(exc, subject)
        if text is not None:
            return text
        for kind, code in _CODES:
            if isinstance(exc, kind):
                return code, _one_line(str(exc))
        return grpc.StatusCode.UNKNOWN, _one_line(str(exc))
    # A bug, not a state of the store: say where, in one line; the log has the traceback.
    return (
        grpc.StatusCode.INTERNAL,
        _one_line(f"internal error in {method}: {type(exc).__name__}: {exc}"),
    )


def _pachyderm_text(
    exc: errors.PachliteError, subject: Subject
) -> tuple[grpc.StatusCode, str] | None:
    found = grpc.StatusCode.NOT_FOUND
    if isinstance(exc, errors.ProjectNotFound):
        return found, exc.message  # pachd's text, without pachlite's hint
    if isinstance(exc, errors.ProjectNotEmpty):
        return grpc.StatusCode.FAILED_PRECONDITION, exc.message
    if isinstance(exc, errors.RepoNotFound) and subject.repo:
        return found, f"repo {subject.repo} not found"
    if isinstance(exc, errors.BranchNotFound) and subject.repo and subject.branch:
        return found, f'branch "{subject.branch}" not found in repo {subject.repo}'
    if isinstance(exc, errors.CommitNotFound) and subject.commit:
        return found, f"commit {subject.commit} not found"
    if isinstance(exc, errors.AlreadyExists) and subject.repo and not subject.branch:
        return grpc.StatusCode.ALREADY_EXISTS, f"repo {subject.repo} already exists"
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
