"""The one place that maps errors to exit codes (documented in `pachlite --help`)."""

from __future__ import annotations

from pachlite.errors import (
    AlreadyExists,
    Conflict,
    DiskFull,
    EditsFailed,
    FetchFailed,
    InvalidArgument,
    NotFound,
    PachliteError,
    StoreCorrupt,
    StoreNotWritable,
    Timeout,
    Unavailable,
)

# Most specific first.
EXIT_CODES: list[tuple[type[PachliteError], int]] = [
    (InvalidArgument, 2),
    (NotFound, 3),
    (AlreadyExists, 4),
    (Conflict, 5),
    (Timeout, 6),
    (FetchFailed, 7),
    (StoreCorrupt, 8),
    (Unavailable, 9),
    (StoreNotWritable, 10),
    (DiskFull, 11),
    (PachliteError, 1),
]
INTERRUPTED = 130
INTERNAL_ERROR = 70

EXIT_CODE_HELP = (
    "Exit codes: 0 ok, 1 error, 2 invalid input, 3 not found, 4 already exists, "
    "5 conflicts with the current state, 6 timed out, 7 could not fetch a source, "
    "8 store corrupt (run fsck; restore from a backup), 9 a server could not be reached, "
    "10 the store cannot be written (read-only, no permission), 11 no space left on the "
    "disk, 70 internal error (rerun with -v), 130 interrupted."
)


def exit_code_for(error: PachliteError) -> int:
    if isinstance(error, EditsFailed):  # a batch of edits fails as its first failure would
        error = error.failures[0][1]
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1  # pragma: no cover - PachliteError is last in the table
