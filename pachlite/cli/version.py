"""`pachlite version`: this client's version and the daemon's, as `pachctl version` prints
its own and pachd's."""

from __future__ import annotations

import json

from pachlite import __version__
from pachlite.cli import output
from pachlite.cli.command import Context, command, option
from pachlite.cli.output import OUTPUT_OPTION, echo
from pachlite.errors import Unavailable


@command("version")
@option("--client-only", is_flag=True, help="Only this client's version; ask no daemon.")
@option("--timeout", default=5.0, show_default=True, help="Seconds to wait for the daemon.")
@OUTPUT_OPTION
def version(ctx: Context, client_only: bool, timeout: float, fmt: str) -> None:
    """Print pachlite's version and that of the `pachlite up` running on the root (pachd)."""
    daemon_version = None if client_only else _ask_daemon(ctx, timeout, fmt)
    if fmt == "json":
        found = {"pachlite": __version__}
        if daemon_version is not None:
            found["pachd"] = daemon_version
        echo(json.dumps(found))
        return
    rows = [["pachlite", __version__]]
    if daemon_version is not None:
        rows.append(["pachd", daemon_version])
    output.table(["COMPONENT", "VERSION"], rows)


def _ask_daemon(ctx: Context, timeout: float, fmt: str) -> str:
    """The daemon's version from its GetVersion call. Like pachctl, the client's own line is
    printed before a daemon that cannot be reached is an error."""
    client = ctx.client()
    daemon = client.daemon()
    try:
        if daemon is None:
            raise Unavailable(
                f"no `pachlite up` is running on {client.store.root}",
                "start one (`pachlite up`), or pass --client-only",
            )
        if daemon.address is None:
            raise Unavailable(
                f"`pachlite up` (pid {daemon.pid}) serves no API: pachyderm-sdk is not installed",
                "install it (pip install pachyderm-sdk), then restart `pachlite up`",
            )
        return _get_version(daemon.address, timeout)
    except Unavailable:
        if fmt != "json":
            output.table(["COMPONENT", "VERSION"], [["pachlite", __version__]])
        raise


def _get_version(address: str, timeout: float) -> str:
    import grpc

    from pachlite.cluster.deploy import connect, parse_address

    client = connect(parse_address(address), timeout=timeout)
    try:
        found = client.get_version()
    except grpc.RpcError as error:
        raise Unavailable(f"the daemon at {address} did not answer: {error.details()}") from None
    finally:
        client._channel.close()
    extra = f"-{found.additional}" if found.additional else ""
    return f"{found.major}.{found.minor}.{found.micro}{extra}"
