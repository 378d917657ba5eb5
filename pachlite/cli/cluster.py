"""`pachlite validate` and `pachlite deploy`: the cluster path for the same specs."""

from __future__ import annotations

import json

from pachlite.cli.command import Context, argument, command, option
from pachlite.cli.output import OUTPUT_OPTION, echo


@command("validate")
@argument("paths", nargs=-1, required=True)
@OUTPUT_OPTION
def validate(ctx: Context, paths: tuple[str, ...], fmt: str) -> None:
    """Check spec files or folders as a real Pachyderm would, without a store or a cluster.

    Pachyderm's JSON schema, pachlite's server rules over the whole set (names, inputs,
    cycles), and a round trip through pachyderm-sdk's CreatePipelineRequest."""
    from pachlite.cluster.specs import check

    checked = check(paths)
    if fmt == "json":
        report = {
            "pipelines": [p.name for p in checked.pipelines],
            "input_repos": checked.input_repos,
        }
        echo(json.dumps(report))
        return
    for request in checked.pipelines:
        echo(f"ok  {request.name}  ({request.source})")
    echo(
        f"{len(checked.pipelines)} pipelines valid, in creation order; input repos to create: "
        + (", ".join(checked.input_repos) or "none")
    )


@command("deploy")
@argument("paths", nargs=-1, required=True)
@option("--pachd", "address", required=True, help="pachd's address, grpc://HOST:PORT.")
@option(
    "--input-repo",
    "extra_repos",
    multiple=True,
    help="Also create this input repo (repeatable), e.g. one only people commit to.",
)
@option(
    "--wait-for-deployment",
    "wait_for",
    help="Inside the cluster: wait until Deployment NAMESPACE/NAME is available first.",
)
@option("--timeout", default=600.0, show_default=True, help="Seconds to wait for it.")
@option("--connect-timeout", default=10.0, show_default=True, help="Seconds to wait for pachd.")
@option("--dry-run", is_flag=True, help="Ask pachd to check the requests, change nothing.")
@OUTPUT_OPTION
def deploy(
    ctx: Context,
    paths: tuple[str, ...],
    address: str,
    extra_repos: tuple[str, ...],
    wait_for: str | None,
    timeout: float,
    connect_timeout: float,
    dry_run: bool,
    fmt: str,
) -> None:
    """Create the input repos and create or update the pipelines on a real Pachyderm.

    Idempotent: a pipeline whose spec pachd already holds is left alone; a changed one is
    updated without reprocessing."""
    from dataclasses import replace

    from pachlite.cluster import deploy as cluster
    from pachlite.cluster.specs import check

    checked = check(paths)
    checked = replace(checked, input_repos=sorted({*checked.input_repos, *extra_repos}))
    target = cluster.parse_address(address)
    if wait_for:
        cluster.wait_for_deployment(wait_for, timeout)
    client = cluster.connect(target, connect_timeout)
    outcomes = cluster.deploy(client, checked, dry_run=dry_run)
    for outcome in outcomes:
        if fmt == "json":
            echo(json.dumps(outcome.__dict__))
        else:
            echo(f"{outcome.action:9}  {outcome.kind} {outcome.name}")
