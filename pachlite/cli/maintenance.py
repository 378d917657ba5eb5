"""`fsck`, `backup`, `restore`: checking a store and keeping copies of its metadata."""

from __future__ import annotations

from pachlite.cli import output
from pachlite.cli.command import Context, argument, command, existing_file, not_a_directory, option
from pachlite.cli.output import echo


@command()
@output.OUTPUT_OPTION
def fsck(ctx: Context, fmt: str) -> None:
    """Verify every object's hash and every metadata reference.

    A damaged or missing meta.sqlite is reported (exit 8) and the objects are still checked.
    """
    from pachlite.client import fsck_store

    report = fsck_store(ctx.root)
    if fmt == "json":
        output.emit_json(report, single=True)
    else:
        for problem in report.problems:
            echo(f"problem: {problem}")
        echo(
            f"checked {report.objects_checked} objects, {report.trees_checked} directory nodes, "
            f"{report.commits_checked} commits: "
            + ("ok" if report.ok else f"{len(report.problems)} problem(s)")
            + f" ({report.unreferenced_objects} unreferenced objects, "
            f"{report.stale_temp_files} stale temporary files)"
        )
    if not report.ok:
        ctx.exit(8)


@command()
@argument("destination", type=not_a_directory)
def backup(ctx: Context, destination: str) -> None:
    """Write a consistent copy of the store's metadata (meta.sqlite) to a new file.

    Safe while other pachlite processes work (SQLite's online backup). Objects are not
    copied: pachlite never changes or deletes them, so the copy and this store's objects/
    restore every commit that existed when it was taken (`pachlite restore`). For a copy on
    another disk, copy objects/ as well.
    """
    info = ctx.client().backup(destination)
    echo(
        f"backed up {info.repos} repos and {info.commits} commits to {info.path} "
        f"({output.size(info.size_bytes)})"
    )


@command()
@argument("source", type=existing_file)
@option(
    "--force",
    is_flag=True,
    help="Restore over healthy metadata (dropping later commits), or with objects missing.",
)
def restore(ctx: Context, source: str, force: bool) -> None:
    """Replace the store's metadata with a backup from `pachlite backup`.

    The metadata it replaces is kept beside it as meta.sqlite.replaced-<time>. Refused while
    jobs or `pachlite up` run, and over healthy metadata unless --force.
    """
    from pachlite.client import restore_store

    info = restore_store(source, ctx.root, force=force)
    echo(f"restored {info.repos} repos and {info.commits} commits from {info.path}")
    if info.set_aside:
        echo(f"the metadata it replaced is kept as {info.set_aside}")
    if info.missing_objects:
        echo(
            f"{info.missing_objects} object(s) the backup names are missing: "
            "run `pachlite fsck` to see what they affect"
        )
