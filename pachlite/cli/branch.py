"""`create|list|inspect|delete branch`."""

from __future__ import annotations

from pachlite.cli import output
from pachlite.cli.command import Context, argument, option
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.keyvalues import render as render_metadata
from pachlite.cli.output import OUTPUT_OPTION
from pachlite.cli.verbs import create, delete, inspect, list_
from pachlite.model import BranchInfo


@create.command("branch")
@argument("branch", metavar="REPO@BRANCH")
@option("--head", help="Commit the branch points at: a branch, commit ID or ref^N.")
@option(
    "-p",
    "--provenance",
    multiple=True,
    metavar="REPO@BRANCH",
    help="A branch this one is computed from (repeatable). New commits there propagate here.",
)
@triggers_jobs
def create_branch(ctx: Context, branch: str, head: str | None, provenance: tuple[str, ...]) -> None:
    """Create a branch, or move its head / set its provenance."""
    ctx.client().create_branch(branch, head=head, provenance=provenance)


@list_.command("branch")
@argument("repo")
@OUTPUT_OPTION
def list_branch(ctx: Context, repo: str, fmt: str) -> None:
    """List the branches of REPO."""
    branches = ctx.client().list_branch(repo)
    if fmt == "json":
        output.emit_json(branches)
        return
    output.table(
        ["BRANCH", "HEAD", "PROVENANCE"],
        [[b.name, b.head or "-", ", ".join(b.direct_provenance) or "-"] for b in branches],
    )


@inspect.command("branch")
@argument("branch", metavar="REPO@BRANCH")
@OUTPUT_OPTION
def inspect_branch(ctx: Context, branch: str, fmt: str) -> None:
    """Show a branch: head, direct and full provenance, subvenance."""
    info: BranchInfo = ctx.client().inspect_branch(branch)
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
            ("Metadata", render_metadata(info.metadata)),
        ]
    )


@delete.command("branch")
@argument("branch", metavar="REPO@BRANCH")
@option("-f", "--force", is_flag=True, help="Delete even if other branches build on it.")
def delete_branch(ctx: Context, branch: str, force: bool) -> None:
    """Delete a branch (its commits stay)."""
    ctx.client().delete_branch(branch, force=force)
