"""`create|list|inspect|delete project` (Pachyderm 2.x projects)."""

from __future__ import annotations

from pachlite.cli import output
from pachlite.cli.command import Context, argument, option, without_project
from pachlite.cli.keyvalues import render as render_metadata
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import create, delete, inspect, list_


@create.command("project")
@without_project
@argument("name")
@option("-d", "--description", default="", help="What the project holds.")
@option("--update", is_flag=True, help="Change the description of an existing project.")
def create_project(ctx: Context, name: str, description: str, update: bool) -> None:
    """Create a new project NAME."""
    ctx.client().create_project(name, description, update=update)


@list_.command("project")
@without_project
@OUTPUT_OPTION
def list_project(ctx: Context, fmt: str) -> None:
    """List projects, by name."""
    projects = ctx.client().list_project()
    if fmt == "json":
        output.emit_json(projects)
        return
    output.table(
        ["PROJECT", "CREATED", "DESCRIPTION"],
        [[p.name, output.ago(p.created), p.description] for p in projects],
    )


@inspect.command("project")
@without_project
@argument("name")
@OUTPUT_OPTION
def inspect_project(ctx: Context, name: str, fmt: str) -> None:
    """Show a project."""
    info = ctx.client().inspect_project(name)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Name", info.name),
            ("Description", info.description or "-"),
            ("Created", output.when(info.created)),
            ("Metadata", render_metadata(info.metadata)),
        ]
    )


@delete.command("project")
@without_project
@argument("name")
def delete_project(ctx: Context, name: str) -> None:
    """Delete project NAME; refused while it holds repos or pipelines."""
    ctx.client().delete_project(name)
