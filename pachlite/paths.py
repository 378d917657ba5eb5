"""Pachyderm's rules for file paths and names (docs/semantics.md §2.2, §5.1), as pure functions.

Every path is checked here before any byte is written, so a bad name never leaves half a commit.
"""

from __future__ import annotations

import re

from pachlite.errors import InvalidArgument, InvalidPath

# Characters Pachyderm refuses in PFS paths (src/internal/storage/paths.go): glob syntax and
# the URI separators, so any stored path can be written back as a literal glob or URI.
FORBIDDEN_PATH_CHARS = frozenset("*?[]{}!()@+^")
# Longest file or directory name Linux file systems take (NAME_MAX). Pachyderm itself stores
# longer names, but no worker could write one to /pfs, so pachlite refuses them up front.
MAX_NAME_BYTES = 255
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_COMMIT_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_REPO_NAME = 63


def clean_path(path: str) -> str:
    """Canonical form: leading '/', no repeated or trailing '/'. The root is '/'."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


def validate_path(path: str) -> str:
    """Return the cleaned path, or raise InvalidPath naming the offending part."""
    if any(not (0x20 <= ord(ch) <= 0x7E) for ch in path):
        bad = next(ch for ch in path if not (0x20 <= ord(ch) <= 0x7E))
        raise InvalidPath(
            f"invalid path {path!r}: character {bad!r} is not printable ASCII",
            "rename the file using printable ASCII characters only",
        )
    bad_chars = sorted(set(path) & FORBIDDEN_PATH_CHARS)
    if bad_chars:
        raise InvalidPath(
            f"invalid path {path!r}: {''.join(bad_chars)!r} not allowed in file names",
            "Pachyderm reserves * ? [ ] { } ! ( ) @ + ^ for globs and URIs; rename the file",
        )
    for part in path.split("/"):
        if part in (".", ".."):
            raise InvalidPath(
                f"invalid path {path!r}: '{part}' elements are not allowed",
                "give the full path from the repo root",
            )
        if len(part.encode()) > MAX_NAME_BYTES:
            raise InvalidPath(
                f"invalid path: the name {part[:40]}... is {len(part.encode())} bytes long",
                f"a file or directory name is at most {MAX_NAME_BYTES} bytes; rename it",
            )
    return clean_path(path)


def validate_file_path(path: str) -> str:
    """Like validate_path, but the root itself is not a file."""
    cleaned = validate_path(path)
    if cleaned == "/":
        raise InvalidPath("a file path is required, not the repo root '/'", "add :/path/to/file")
    return cleaned


def join(directory: str, name: str) -> str:
    return clean_path(f"{directory}/{name}")


def split(path: str) -> list[str]:
    """Components of a cleaned path; the root has none."""
    return [p for p in path.split("/") if p]


def parent(path: str) -> str:
    return clean_path("/".join(split(path)[:-1]))


def basename(path: str) -> str:
    parts = split(path)
    return parts[-1] if parts else ""


def validate_name(kind: str, name: str) -> str:
    """Repo and branch names: letters, digits, '_' and '-' (Pachyderm's rule)."""
    if not name:
        raise InvalidArgument(f"{kind} name is empty", f"give a {kind} name")
    if not _NAME.match(name):
        raise InvalidArgument(
            f"invalid {kind} name {name!r}: only letters, digits, '_' and '-' are allowed",
            f"choose another {kind} name",
        )
    if len(name) > MAX_REPO_NAME:
        raise InvalidArgument(
            f"invalid {kind} name {name!r}: longer than {MAX_REPO_NAME} characters",
            f"choose a shorter {kind} name",
        )
    if kind == "branch" and is_commit_id(name):
        raise InvalidArgument(
            f"invalid branch name {name!r}: it looks like a commit ID",
            "choose a name that is not 32 hex digits",
        )
    return name


def is_commit_id(text: str) -> bool:
    return bool(_COMMIT_ID.match(text))


# Projects (Pachyderm 2.x): the engine names a repo or pipeline by one key, `project/name`,
# as Pachyderm's own pfsdb.RepoKey does, and writes a `default` one as its bare name, so every
# store, spec and command written before projects keeps its names.
DEFAULT_PROJECT = "default"


def qualify(project: str, name: str) -> str:
    """The key of `name` in `project`: `name` alone in `default`, else `project/name`."""
    return name if project in ("", DEFAULT_PROJECT) else f"{project}/{name}"


def split_key(key: str) -> tuple[str, str]:
    """(project, name) of a key `qualify` wrote, or of `project/name` as a person writes it."""
    project, slash, name = key.rpartition("/")
    return (project or DEFAULT_PROJECT, name) if slash else (DEFAULT_PROJECT, key)


def validate_key(kind: str, key: str, project: str = DEFAULT_PROJECT) -> str:
    """The canonical key of `key` ("name" or "project/name"), a bare name read in `project`;
    both parts checked with `validate_name`."""
    if "/" in key:
        given, _, name = key.rpartition("/")
        validate_name("project", given)
        project = given
    else:
        name = key
        if project != DEFAULT_PROJECT:
            validate_name("project", project)
    validate_name(kind, name)
    return qualify(project, name)


def file_stem(key: str) -> str:
    """A file name for a key: '.' for its '/', a character no name may hold, so no two keys
    share one."""
    return key.replace("/", ".")
