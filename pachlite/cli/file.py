"""`put|get|list|glob|diff|inspect|delete|copy file`."""

from __future__ import annotations

import os
import sys

from pachlite.cli import output, progress
from pachlite.cli.command import Context, UsageError, argument, option
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.cli.verbs import copy, delete, diff, get, glob, inspect, list_, put
from pachlite.model import FileInfo

# Up to this size a file is read and hash-checked whole before printing; larger files stream.
VERIFY_BEFORE_PRINT = 64 << 20


@put.command("file")
@argument("target", metavar="REPO@BRANCH[:PATH]")
@option(
    "-f",
    "--file",
    "source",
    default="-",
    show_default=True,
    help="Local file, directory (with -r), http(s) URL, or - for stdin.",
)
@option("-r", "--recursive", is_flag=True, help="Put a directory and everything in it.")
@option("-a", "--append", is_flag=True, help="Append to the file instead of overwriting.")
@option("-m", "--message", default="", help="Description of the commit this put makes.")
@triggers_jobs
def put_file(
    ctx: Context, target: str, source: str, recursive: bool, append: bool, message: str
) -> None:
    """Put data into a branch (new commit) or an open commit.

    PATH defaults to /<name of the source>; a PATH ending in '/' puts into that directory.
    Without an open commit on the branch, the put makes and finishes its own commit.
    """
    client = ctx.client()
    if source == "-":
        if ":" not in target or target.endswith(":"):
            raise UsageError("reading stdin needs a target path: REPO@BRANCH:/path")
        with progress.transfer("stdin", None) as advance:
            client.put_file(
                target, sys.stdin.buffer, append=append, message=message, progress=advance
            )
        return
    from pachlite.pfs.ingest import is_url  # the ingest machinery: only for puts

    if os.path.isdir(source) and recursive and not is_url(source):
        # Planned once: the plan sizes the progress bar and is what gets stored.
        planned = client.plan_put(source, target)
        size = sum(item.size for item in planned)
        with progress.transfer(os.path.basename(source.rstrip("/")) or source, size) as advance:
            client.put_planned(target, planned, append=append, message=message, progress=advance)
        return
    total: int | None = None  # unknown for a URL
    if is_url(source):
        pass
    elif os.path.exists(source):
        total = os.path.getsize(source)
    else:
        raise UsageError(f"invalid value for -f: {source} does not exist")
    with progress.transfer(os.path.basename(source.rstrip("/")) or source, total) as advance:
        client.put_file(
            target,
            source,
            append=append,
            recursive=recursive,
            message=message,
            progress=advance,
        )


@get.command("file")
@argument("target", metavar="REPO@REF:PATH")
@option("-o", "--output", "local", help="Write to this local path instead of stdout.")
@option("-r", "--recursive", is_flag=True, help="Get a directory (needs -o).")
def get_file(ctx: Context, target: str, local: str | None, recursive: bool) -> None:
    """Print a file, or write it (or a whole directory) to disk. Content is hash-checked."""
    client = ctx.client()
    if local is None:
        if recursive:
            raise UsageError("-r writes a directory and needs -o LOCAL_DIR")
        out = sys.stdout.buffer
        if client.inspect_file(target).size_bytes <= VERIFY_BEFORE_PRINT:
            out.write(client.get_file(target))  # hash checked before a byte is printed
        else:
            for chunk in client.iter_file(target):  # checked by the end of the stream
                out.write(chunk)
        out.flush()
        return
    info = client.inspect_file(target)
    with progress.transfer(os.path.basename(local), info.size_bytes) as advance:
        client.get_file_to(target, local, recursive=recursive, progress=advance)


def _file_rows(files: list[FileInfo]) -> list[list[str]]:
    return [[f.commit, f.path, f.type.value, output.size(f.size_bytes)] for f in files]


def _show_files(files: list[FileInfo], fmt: str) -> None:
    if fmt == "json":
        output.emit_json(files)
        return
    output.table(["COMMIT", "PATH", "TYPE", "SIZE"], _file_rows(files))


@list_.command("file")
@argument("target", metavar="REPO@REF[:PATH]")
@OUTPUT_OPTION
def list_file(ctx: Context, target: str, fmt: str) -> None:
    """List a directory's entries (or the file itself)."""
    _show_files(ctx.client().list_file(target), fmt)


@glob.command("file")
@argument("target", metavar="REPO@REF:PATTERN")
@OUTPUT_OPTION
def glob_file(ctx: Context, target: str, fmt: str) -> None:
    """List files and directories matching a glob (* stays in a directory, ** crosses)."""
    _show_files(ctx.client().glob_file(target), fmt)


@inspect.command("file")
@argument("target", metavar="REPO@REF:PATH")
@OUTPUT_OPTION
def inspect_file(ctx: Context, target: str, fmt: str) -> None:
    """Show a file's type, size and content hash."""
    info = ctx.client().inspect_file(target)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Path", info.path),
            ("Commit", f"{info.repo}@{info.commit}"),
            ("Type", info.type.value),
            ("Size", output.size(info.size_bytes)),
            ("Hash", info.hash),
        ]
    )


@diff.command("file")
@argument("new", metavar="NEW-REPO@REF[:PATH]")
@argument("old", required=False, metavar="[OLD-REPO@REF[:PATH]]")
@option("--name-only", is_flag=True, help="Only the changed paths.")
@OUTPUT_OPTION
def diff_file(ctx: Context, new: str, old: str | None, name_only: bool, fmt: str) -> None:
    """Changed files between two commits (default: NEW and its parent)."""
    diffs = ctx.client().diff_file(new, old)
    if fmt == "json":
        output.emit_json(diffs)
        return
    if name_only:
        for d in diffs:
            echo(d.path)
        return
    output.table(
        ["CHANGE", "PATH", "OLD SIZE", "NEW SIZE"],
        [
            [
                d.kind.value,
                d.path,
                output.size(d.old.size_bytes) if d.old else "-",
                output.size(d.new.size_bytes) if d.new else "-",
            ]
            for d in diffs
        ],
    )


@delete.command("file")
@argument("target", metavar="REPO@BRANCH:PATH")
@option("-r", "--recursive", is_flag=True, help="Delete a directory with its content.")
@triggers_jobs
def delete_file(ctx: Context, target: str, recursive: bool) -> None:
    """Delete a file or directory (in a new commit, or in the open one)."""
    ctx.client().delete_file(target, recursive=recursive)


@copy.command("file")
@argument("source", metavar="SRC-REPO@REF:PATH")
@argument("target", metavar="DST-REPO@BRANCH:PATH")
@option("-a", "--append", is_flag=True, help="Append to the destination file.")
@triggers_jobs
def copy_file(ctx: Context, source: str, target: str, append: bool) -> None:
    """Copy a file or directory; the data is shared, not duplicated."""
    ctx.client().copy_file(source, target, append=append)
