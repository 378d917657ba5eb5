"""pachctl's grammar is `<verb> <noun>`: the verb groups live here, the nouns in their modules."""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pachlite.client import Client

# Which module defines each noun's commands (`list repo`, `inspect repo`... live in cli/repo.py).
# A verb imports only the module of the noun it runs; help and errors that list every noun
# import them all. tests/cli/test_startup_imports.py checks this table against the commands.
NOUN_MODULES = {
    "repo": "pachlite.cli.repo",
    "branch": "pachlite.cli.branch",
    "commit": "pachlite.cli.commit",
    "file": "pachlite.cli.file",
    "job": "pachlite.cli.job",
    "datum": "pachlite.cli.job",
    "pipeline": "pachlite.cli.pipeline",
    "cron": "pachlite.cli.pipeline",
    "service": "pachlite.cli.up",
}


class LazyGroup(click.Group):
    """A group whose subcommands are defined in other modules, imported when first needed.

    `lazy` maps a command name to the module that registers it on import (`module`), or to the
    command object a module holds (`module:attribute`). `commands` is always the whole set (help,
    completion and "no such command" read it); `get_command` imports only the one asked for.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        self._lazy = dict(lazy or {})
        self._adding = False
        self._all_loaded = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        if not self._adding:
            self._load_all()
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._commands = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        self._adding = True  # registering one command must not import all the others
        try:
            super().add_command(cmd, name)
        finally:
            self._adding = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._commands and cmd_name in self._lazy:
            self._load(cmd_name)
        return self._commands.get(cmd_name)

    def _load(self, name: str) -> None:
        module_name, _, attribute = self._lazy[name].partition(":")
        # __import__, not importlib.import_module: `python -X importtime` reports only imports
        # made through it, and tests read that report to see what a verb loaded.
        __import__(module_name)
        module = sys.modules[module_name]
        if attribute and name not in self._commands:
            self.add_command(getattr(module, attribute), name)

    def _load_all(self) -> None:
        if not self._all_loaded:
            self._all_loaded = True
            for name in self._lazy:
                self._load(name)


class _Verb(LazyGroup):
    """A verb group that answers an unknown noun with the closest known one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, lazy=NOUN_MODULES, **kwargs)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            import difflib  # only for the error: not on every start

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
