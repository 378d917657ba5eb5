"""`create|list|inspect|delete repo`."""

from __future__ import annotations

from pachlite.cli import output
from pachlite.cli.command import Context, argument, option
from pachlite.cli.keyvalues import render as render_metadata
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import create, delete, inspect, list_


@create.command("repo")
@argument("name")
@option("-d", "--description", default="", help="What the repo holds.")
@option("--update", is_flag=True, help="Change the description of an existing repo.")
def create_repo(ctx: Context, name: str, description: str, update: bool) -> None:
    """Create a new repo NAME."""
    ctx.client().create_repo(name, description, update=update)


@list_.command("repo")
@option("--all", "all_types", is_flag=True, help="Include spec and meta repos.")
@option("-A", "--all-projects", is_flag=True, help="List the repos of every project.")
@OUTPUT_OPTION
def list_repo(ctx: Context, all_types: bool, all_projects: bool, fmt: str) -> None:
    """List the repos of a project (--project, else default), newest first."""
    projects = None if all_projects else [ctx.project]
    repos = ctx.client().list_repo(all_types=all_types, projects=projects)
    if fmt == "json":
        output.emit_json(repos)
        return
    rows = [[r.short_name, output.ago(r.created), output.size(r.size_bytes), r.description]
            for r in repos]  # fmt: skip
    if all_projects:
        output.table(
            ["PROJECT", "NAME", "CREATED", "SIZE (MAX)", "DESCRIPTION"],
            [[r.project, *row] for r, row in zip(repos, rows, strict=True)],
        )
        return
    output.table(["NAME", "CREATED", "SIZE (MAX)", "DESCRIPTION"], rows)


@inspect.command("repo")
@argument("name")
@OUTPUT_OPTION
def inspect_repo(ctx: Context, name: str, fmt: str) -> None:
    """Show a repo: type, branches, size."""
    info = ctx.client().inspect_repo(name)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Name", info.short_name),
            ("Project", info.project),
            ("Type", info.type),
            ("Description", info.description or "-"),
            ("Created", output.when(info.created)),
            ("Size of the largest branch", output.size(info.size_bytes)),
            ("Branches", ", ".join(info.branches) or "-"),
            ("Metadata", render_metadata(info.metadata)),
        ]
    )


@delete.command("repo")
@argument("name")
@option("-f", "--force", is_flag=True, help="Delete even if other repos build on it.")
def delete_repo(ctx: Context, name: str, force: bool) -> None:
    """Delete repo NAME with its branches and commits."""
    ctx.client().delete_repo(name, force=force)
