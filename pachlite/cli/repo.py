"""`create|list|inspect|delete repo`."""

from __future__ import annotations

import click

from pachlite.cli import output
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import client_from, create, delete, inspect, list_


@create.command("repo")
@click.argument("name")
@click.option("-d", "--description", default="", help="What the repo holds.")
@click.option("--update", is_flag=True, help="Change the description of an existing repo.")
@click.pass_context
def create_repo(ctx: click.Context, name: str, description: str, update: bool) -> None:
    """Create a new repo NAME."""
    client_from(ctx).create_repo(name, description, update=update)


@list_.command("repo")
@click.option("--all", "all_types", is_flag=True, help="Include spec and meta repos.")
@OUTPUT_OPTION
@click.pass_context
def list_repo(ctx: click.Context, all_types: bool, fmt: str) -> None:
    """List repos, newest first."""
    repos = client_from(ctx).list_repo(all_types=all_types)
    if fmt == "json":
        output.emit_json(repos)
        return
    output.table(
        ["NAME", "CREATED", "SIZE (MAX)", "DESCRIPTION"],
        [[r.name, output.ago(r.created), output.size(r.size_bytes), r.description] for r in repos],
    )


@inspect.command("repo")
@click.argument("name")
@OUTPUT_OPTION
@click.pass_context
def inspect_repo(ctx: click.Context, name: str, fmt: str) -> None:
    """Show a repo: type, branches, size."""
    info = client_from(ctx).inspect_repo(name)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Name", info.name),
            ("Type", info.type),
            ("Description", info.description or "-"),
            ("Created", output.when(info.created)),
            ("Size of the largest branch", output.size(info.size_bytes)),
            ("Branches", ", ".join(info.branches) or "-"),
        ]
    )


@delete.command("repo")
@click.argument("name")
@click.option("-f", "--force", is_flag=True, help="Delete even if other repos build on it.")
@click.pass_context
def delete_repo(ctx: click.Context, name: str, force: bool) -> None:
    """Delete repo NAME with its branches and commits."""
    client_from(ctx).delete_repo(name, force=force)
