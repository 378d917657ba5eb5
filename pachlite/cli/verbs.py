"""pachctl's grammar is `<verb> <noun>`: the verb groups live here, the nouns in their modules."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pachlite.client import Client


class _Verb(click.Group):
    """A verb group that answers an unknown noun with the closest known one."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            close = difflib.get_close_matches(args[0], list(self.commands), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(self.commands))
            ctx.fail(f"no such thing to {ctx.info_name}: {args[0]!r}{hint}; try one of: {known}")
        return super().resolve_command(ctx, args)


@click.group(cls=_Verb)
def create() -> None:
    """Create a repo or branch."""


@click.group(name="list", cls=_Verb)
def list_() -> None:
    """List repos, branches, commits or files."""


@click.group(cls=_Verb)
def inspect() -> None:
    """Show details of a repo, branch, commit or file."""


@click.group(cls=_Verb)
def delete() -> None:
    """Delete a repo, branch, commit set or file."""


@click.group(cls=_Verb)
def put() -> None:
    """Put data into a repo."""


@click.group(cls=_Verb)
def get() -> None:
    """Get data out of a repo."""


@click.group(cls=_Verb)
def glob() -> None:
    """Match files with a glob pattern."""


@click.group(cls=_Verb)
def diff() -> None:
    """Show what changed between commits."""


@click.group(cls=_Verb)
def copy() -> None:
    """Copy files between commits without copying data."""


@click.group(cls=_Verb)
def start() -> None:
    """Start a commit or a stopped pipeline."""


@click.group(cls=_Verb)
def finish() -> None:
    """Finish a commit."""


@click.group(cls=_Verb)
def wait() -> None:
    """Wait for a commit (and what it triggers) to finish."""


@click.group(cls=_Verb)
def squash() -> None:
    """Squash a commit set into its children."""


@click.group(cls=_Verb)
def update() -> None:
    """Update a pipeline."""


@click.group(cls=_Verb)
def stop() -> None:
    """Stop a pipeline or a job."""


@click.group(cls=_Verb)
def run() -> None:
    """Run a cron tick now."""


@click.group(cls=_Verb)
def restart() -> None:
    """Process datums again."""


VERBS = [
    create,
    list_,
    inspect,
    delete,
    put,
    get,
    glob,
    diff,
    copy,
    start,
    finish,
    wait,
    squash,
    update,
    stop,
    run,
    restart,
]


def client_from(ctx: click.Context) -> Client:
    """The Client for this invocation, opened on first use and closed when the CLI exits."""
    # Imported here, not at the top: `--help`, `--version` and usage errors never load it.
    from pachlite.client import Client

    root_ctx = ctx.find_root()
    client = root_ctx.meta.get("pachlite.client")
    if client is None:
        client = Client(root_ctx.params.get("root"))
        root_ctx.meta["pachlite.client"] = client
        root_ctx.call_on_close(client.close)
    assert isinstance(client, Client)
    return client
