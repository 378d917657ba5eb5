"""`create|list|inspect|delete branch`."""

from __future__ import annotations

import click

from pachlite.cli import output
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import client_from, create, delete, inspect, list_
from pachlite.model import BranchInfo


@create.command("branch")
@click.argument("branch", metavar="REPO@BRANCH")
@click.option("--head", help="Commit the branch points at: a branch, commit ID or ref^N.")
@click.option(
    "-p",
    "--provenance",
    multiple=True,
    metavar="REPO@BRANCH",
    help="A branch this one is computed from (repeatable). New commits there propagate here.",
)
@click.pass_context
@triggers_jobs
def create_branch(
    ctx: click.Context, branch: str, head: str | None, provenance: tuple[str, ...]
) -> None:
    """Create a branch, or move its head / set its provenance."""
    client_from(ctx).create_branch(branch, head=head, provenance=provenance)


@list_.command("branch")
@click.argument("repo")
@OUTPUT_OPTION
@click.pass_context
def list_branch(ctx: click.Context, repo: str, fmt: str) -> None:
    """List the branches of REPO."""
    branches = client_from(ctx).list_branch(repo)
    if fmt == "json":
        output.emit_json(branches)
        return
    output.table(
        ["BRANCH", "HEAD", "PROVENANCE"],
        [[b.name, b.head or "-", ", ".join(b.direct_provenance) or "-"] for b in branches],
    )


@inspect.command("branch")
@click.argument("branch", metavar="REPO@BRANCH")
@OUTPUT_OPTION
@click.pass_context
def inspect_branch(ctx: click.Context, branch: str, fmt: str) -> None:
    """Show a branch: head, direct and full provenance, subvenance."""
    info: BranchInfo = client_from(ctx).inspect_branch(branch)
    if fmt == "json":
        output.emit_json(info, single=True)
        return
    output.fields(
        [
            ("Name", f"{info.repo}@{info.name}"),
            ("Head Commit", info.head or "-"),
            ("Direct Provenance", ", ".join(info.direct_provenance) or "-"),
            ("Provenance", ", ".join(info.provenance) or "-"),
            ("Subvenance", ", ".join(info.subvenance) or "-"),
        ]
    )


@delete.command("branch")
@click.argument("branch", metavar="REPO@BRANCH")
@click.option("-f", "--force", is_flag=True, help="Delete even if other branches build on it.")
@click.pass_context
def delete_branch(ctx: click.Context, branch: str, force: bool) -> None:
    """Delete a branch (its commits stay)."""
    client_from(ctx).delete_branch(branch, force=force)
