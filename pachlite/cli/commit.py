"""`start|finish|list|inspect|wait|squash|delete commit`."""

from __future__ import annotations

from pachlite.cli import output
from pachlite.cli.command import Context, UsageError, argument, option
from pachlite.cli.jobs_runner import triggers_jobs
from pachlite.cli.keyvalues import render as render_metadata
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.cli.verbs import delete, finish, inspect, list_, squash, start, wait
from pachlite.model import CommitInfo, ProvenanceNode


@start.command("commit")
@argument("branch", metavar="REPO@BRANCH")
@option("-p", "--parent", help="Parent commit (default: the branch head).")
@option("-m", "--message", "--description", "message", default="", help="Description.")
def start_commit(ctx: Context, branch: str, parent: str | None, message: str) -> None:
    """Open a commit; prints its ID. Puts to the branch land in it until it is finished."""
    info = ctx.client().start_commit(branch, parent=parent, description=message)
    echo(info.id)


@finish.command("commit")
@argument("commit", metavar="REPO@REF")
@option("-m", "--message", "--description", "message", help="Description (replaces).")
@option("-f", "--force", is_flag=True, help="Finish a commit made by provenance too.")
@option("--error", help="Finish it as failed, with this reason (as a failed job does).")
@triggers_jobs
def finish_commit(
    ctx: Context, commit: str, message: str | None, force: bool, error: str | None
) -> None:
    """Finish an open commit; it is immutable afterwards."""
    ctx.client().finish_commit(commit, description=message, force=force, error=error)


def _commit_rows(commits: list[CommitInfo]) -> list[list[str]]:
    return [
        [
            c.repo,
            c.branch or "-",
            c.id,
            c.origin.value,
            "finished" if c.is_finished else "open",
            output.ago(c.started),
            output.size(c.size_bytes),
            (c.error and f"ERROR: {c.error}") or c.description,
        ]
        for c in commits
    ]


@list_.command("commit")
@argument("target", required=False, metavar="[REPO[@BRANCH]|COMMIT-SET-ID]")
@option("-n", "--number", default=0, help="At most this many (newest first).")
@option(
    "--origin",
    choices=["USER", "AUTO"],
    case_sensitive=False,
    help="Only commits made by people (USER) or by propagation (AUTO).",
)
@option("--subvenance", is_flag=True, help="With REPO@REF: the commits made from that commit.")
@OUTPUT_OPTION
def list_commit(
    ctx: Context,
    target: str | None,
    number: int,
    origin: str | None,
    subvenance: bool,
    fmt: str,
) -> None:
    """List commits of a repo, of a branch's history, or of one commit set."""
    client = ctx.client()
    if subvenance:
        if not target:
            raise UsageError("--subvenance needs a commit: REPO@REF")
        commits = client.commit_subvenance(target)
    else:
        commits = client.list_commit(target, number=number, origin=origin)
    if fmt == "json":
        output.emit_json(commits)
        return
    output.table(
        ["REPO", "BRANCH", "COMMIT", "ORIGIN", "STATE", "STARTED", "SIZE", "DESCRIPTION"],
        _commit_rows(commits),
    )


def _tree_lines(node: ProvenanceNode, prefix: str = "", last: bool = True) -> list[str]:
    branch = f" ({node.branch})" if node.branch else ""
    lines = [f"{prefix}{'└── ' if last else '├── '}{node.commit}{branch} {node.origin.value}"]
    child_prefix = prefix + ("    " if last else "│   ")
    for i, child in enumerate(node.inputs):
        lines.extend(_tree_lines(child, child_prefix, i == len(node.inputs) - 1))
    return lines


@inspect.command("commit")
@argument("commit", metavar="REPO@REF")
@option("--full", is_flag=True, help="Show the whole provenance tree, down to the roots.")
@OUTPUT_OPTION
def inspect_commit(ctx: Context, commit: str, full: bool, fmt: str) -> None:
    """Show a commit: state, parent, size, and where its data came from."""
    client = ctx.client()
    info = client.inspect_commit(commit)
    tree = client.commit_provenance(commit) if full else None
    if fmt == "json":
        data = info.to_json()
        if tree is not None:
            data["provenance_tree"] = tree.to_json()
        output.emit_data(data)
        return
    output.fields(
        [
            ("Commit", info.uri),
            ("Commit set", info.id),
            ("Branch", info.branch or "-"),
            ("Origin", info.origin.value),
            ("Description", info.description or "-"),
            ("Parent", info.parent or "-"),
            ("Children", ", ".join(info.children) or "-"),
            ("Started", output.when(info.started)),
            ("Finished", output.when(info.finished) if info.finished else "- (open)"),
            ("Error", info.error or "-"),
            ("Size", output.size(info.size_bytes)),
            ("Direct provenance", ", ".join(info.direct_provenance) or "-"),
            ("Direct subvenance", ", ".join(info.direct_subvenance) or "-"),
            ("Metadata", render_metadata(info.metadata)),
        ]
    )
    if info.job:
        output.fields(
            [
                ("Job", info.job),
                ("Pipeline version", f"{info.pipeline_version} (spec hash {info.spec_hash})"),
                ("Image", info.image or "-"),
                ("Git commit", info.git_commit or "- (not a git checkout)"),
            ]
        )
    if tree is not None:
        echo("Provenance:")
        for line in _tree_lines(tree):
            echo("  " + line)


@wait.command("commit")
@argument("commit", metavar="REPO@REF")
@option("--timeout", type=float, help="Give up after this many seconds.")
def wait_commit(ctx: Context, commit: str, timeout: float | None) -> None:
    """Wait until the commit and the commits of its set made from it are finished."""
    for info in ctx.client().wait_commit(commit, timeout=timeout):
        state = f"error: {info.error}" if info.error else "finished"
        echo(f"{info.uri} {state}")


@squash.command("commit")
@argument("commit", metavar="COMMIT-SET-ID|REPO@REF")
def squash_commit(ctx: Context, commit: str) -> None:
    """Remove a commit set, folding its changes into the children of its commits."""
    for uri in ctx.client().squash_commit(commit):
        echo(f"squashed {uri}")


@delete.command("commit")
@argument("commit", metavar="COMMIT-SET-ID|REPO@REF")
def delete_commit(ctx: Context, commit: str) -> None:
    """Drop a commit set that nothing builds on; branch heads move back to the parents."""
    for uri in ctx.client().delete_commit(commit):
        echo(f"deleted {uri}")
