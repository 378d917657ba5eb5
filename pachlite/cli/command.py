"""The CLI's own small command layer over argparse: commands, groups, arguments and options.

click cost every start ~45 ms on our interpreter (it imports `inspect`, `typing`, `uuid`...);
argparse is ~8 ms and already in the standard library. A command is declared with decorators
close to click's (`@group.command`, `@argument`, `@option`); its parser is built only when that
command runs, and a group imports the module of a subcommand only when asked for it (`lazy`),
so a verb loads its own noun's module and nothing else. Help and "no such command" load all.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence

# mypy takes any module-level `TYPE_CHECKING` as true; at run time `typing` stays unimported.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from pachlite.client import Client

    Callback = Callable[..., None]


class UsageError(Exception):
    """The command line is wrong: one line for people, exit 2, and a pointer to the help."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where  # whose --help to point at, when not the command being run


class Argument:
    """A positional argument: `nargs` 1 (one value), `"?"` (optional) or `"+"`/`"*"` (many)."""

    __slots__ = ("metavar", "name", "nargs", "type")

    def __init__(
        self, name: str, *, metavar: str | None, nargs: int | str, type: Callable[[str], Any] | None
    ) -> None:
        self.name, self.metavar, self.nargs, self.type = name, metavar, nargs, type

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        kwargs: dict[str, Any] = {"metavar": self.metavar or self.name.upper()}
        if self.nargs != 1:
            kwargs["nargs"] = self.nargs
        if self.type is not None:
            kwargs["type"] = self.type
        parser.add_argument(self.name, **kwargs)


class Option:
    """A `-x/--name VALUE` option, a flag, or a repeatable option (`multiple`: a tuple)."""

    __slots__ = (
        "case_sensitive",
        "choices",
        "default",
        "dest",
        "help",
        "is_flag",
        "metavar",
        "multiple",
        "names",
        "required",
        "show_default",
        "type",
    )

    def __init__(
        self,
        names: Sequence[str],
        *,
        help: str,
        default: Any = None,
        is_flag: bool = False,
        multiple: bool = False,
        choices: Sequence[str] | None = None,
        case_sensitive: bool = True,
        type: Callable[[str], Any] | None = None,
        required: bool = False,
        metavar: str | None = None,
        show_default: bool = False,
    ) -> None:
        # click's convention: a name without dashes is the parameter's name, else the longest.
        flags = [n for n in names if n.startswith("-")]
        plain = [n for n in names if not n.startswith("-")]
        self.names = flags
        self.dest = plain[0] if plain else max(flags, key=len).lstrip("-").replace("-", "_")
        self.help, self.default, self.is_flag, self.multiple = help, default, is_flag, multiple
        self.choices, self.case_sensitive, self.required = choices, case_sensitive, required
        self.metavar, self.show_default = metavar, show_default
        if type is None and isinstance(default, int | float) and not isinstance(default, bool):
            type = int if isinstance(default, int) else float  # click infers it from the default
        self.type = type

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        help_text = self.help
        if self.show_default and self.default is not None:
            help_text += f" (default: {self.default})"
        kwargs: dict[str, Any] = {"dest": self.dest, "help": help_text}
        if self.is_flag:
            parser.add_argument(*self.names, action="store_true", **kwargs)
            return
        kwargs["default"] = self.default
        if self.multiple:
            kwargs["action"] = "append"
        if self.required:
            kwargs["required"] = True
        if self.metavar:
            kwargs["metavar"] = self.metavar
        if self.choices is not None and self.case_sensitive:
            kwargs["choices"] = list(self.choices)
        elif self.choices is not None:
            kwargs["type"] = _any_case(self.choices)
            kwargs.setdefault("metavar", "{" + ",".join(self.choices) + "}")
        if self.type is not None:
            kwargs["type"] = self.type
        parser.add_argument(*self.names, **kwargs)


def _any_case(choices: Sequence[str]) -> Callable[[str], str]:
    def pick(value: str) -> str:
        for choice in choices:
            if choice.lower() == value.lower():
                return choice  # as the table spells it, like click's case_sensitive=False
        known = ", ".join(repr(c) for c in choices)
        raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {known})")

    return pick


def existing_file(value: str) -> str:
    """An argument type: a file that exists (not a directory)."""
    if not os.path.isfile(value):
        what = "is a directory" if os.path.isdir(value) else "does not exist"
        raise argparse.ArgumentTypeError(f"file {value!r} {what}")
    return value


def not_a_directory(value: str) -> str:
    """An argument type: a path for a new or existing file, never a directory."""
    if os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value!r} is a directory")
    return value


def _params(func: Callable[..., Any]) -> list[Argument | Option]:
    params: list[Argument | Option] | None = getattr(func, "__pachlite_params__", None)
    if params is None:
        params = []
        func.__pachlite_params__ = params  # type: ignore[attr-defined]
    return params


def argument(
    name: str,
    *,
    metavar: str | None = None,
    required: bool = True,
    nargs: int = 1,
    type: Callable[[str], Any] | None = None,
) -> Callable[[Callback], Callback]:
    """Declare a positional argument (`nargs=-1`: any number, at least one if `required`)."""
    count: int | str = ("+" if required else "*") if nargs == -1 else (1 if required else "?")

    def decorate(func: Callback) -> Callback:
        # Decorators apply bottom-up: insert first so the declared order is the parsed order.
        _params(func).insert(0, Argument(name, metavar=metavar, nargs=count, type=type))
        return func

    return decorate


def option(*names: str, help: str, **settings: Any) -> Callable[[Callback], Callback]:
    """Declare an option; `settings` are Option's (default, is_flag, multiple, choices...)."""

    def decorate(func: Callback) -> Callback:
        _params(func).insert(0, Option(names, help=help, **settings))
        return func

    return decorate


def _clean(doc: str | None) -> str:
    """A docstring without its indentation (what inspect.cleandoc does, without importing it)."""
    lines = (doc or "").strip().splitlines()
    rest = [line for line in lines[1:] if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    return "\n".join([lines[0].strip() if lines else "", *(line[indent:] for line in lines[1:])])


def short_help(text: str) -> str:
    return text.split("\n", 1)[0].rstrip(".")


def without_project(func: Callback) -> Callback:
    """Mark a command of a verb group that names no repo or pipeline: it takes no --project."""
    func.__pachlite_no_project__ = True  # type: ignore[attr-defined]
    return func


# Every verb of a noun that names repos or pipelines takes it; the Client reads a repo or
# pipeline named without a project (`repo`, not `project/repo`) in it, as pachctl reads one
# in its context's project.
PROJECT_OPTION = Option(
    ["--project"],
    help="The project of repos and pipelines named without one (default: default).",
    metavar="PROJECT",
)


class Command:
    """A command: its callback gets the Context, then each parameter by name."""

    def __init__(self, name: str, callback: Callback, *, project_option: bool = False) -> None:
        self.name = name
        self.callback = callback
        self.help = _clean(callback.__doc__)
        self.params: list[Argument | Option] = list(getattr(callback, "__pachlite_params__", []))
        if project_option and not getattr(callback, "__pachlite_no_project__", False):
            self.params.append(PROJECT_OPTION)

    def parser(self, path: str) -> argparse.ArgumentParser:
        parser = _Parser(
            prog=path,
            description=self.help,
            formatter_class=_formatter,
            allow_abbrev=False,  # click matches option names exactly; so do we
        )
        for param in self.params:
            param.add_to(parser)
        return parser

    def run(self, ctx: Context, args: list[str]) -> None:
        # Intermixed, as click parses them: options may sit between positionals.
        values = vars(self.parser(ctx.command_path).parse_intermixed_args(args))
        for param in self.params:
            if isinstance(param, Option) and param.multiple:
                values[param.dest] = tuple(values[param.dest] or ())
            elif isinstance(param, Argument) and param.nargs in ("+", "*"):
                values[param.name] = tuple(values[param.name])
        if PROJECT_OPTION in self.params:
            ctx.project = values.pop("project") or ctx.project
        self.callback(ctx, **values)


def command(
    name: str | None = None, *, project_option: bool = False
) -> Callable[[Callback], Command]:
    """A command outside any group (a `TOP_LEVEL` one); the name defaults to the function's;
    `project_option` when it names pipelines or repos (it takes --project)."""

    def make(callback: Callback) -> Command:
        return Command(name or callback.__name__, callback, project_option=project_option)

    return make


class Group:
    """A command made of commands (`list repo`): `lazy` names the module that defines each one.

    A value is `module` (the module registers its commands on this group when imported) or
    `module:attribute` (the Command or Group it holds). `get` imports only the one asked for.
    """

    def __init__(
        self,
        name: str,
        help: str,
        *,
        lazy: Mapping[str, str] | None = None,
        options: Sequence[tuple[str, str]] = (),
        epilog: str = "",
        project_option: bool = False,
    ) -> None:
        self.name, self.help, self.epilog = name, _clean(help), epilog
        self.project_option = project_option  # its commands take --project (PROJECT_OPTION)
        self.options = [("-h, --help", "show this help message and exit"), *options]
        self._lazy = dict(lazy or {})
        self._commands: dict[str, Command | Group] = {}

    def command(self, name: str) -> Callable[[Callback], Command]:
        def register(callback: Callback) -> Command:
            command = Command(name, callback, project_option=self.project_option)
            self.add(command)
            return command

        return register

    def add(self, command: Command | Group, name: str | None = None) -> None:
        self._commands[name or command.name] = command

    def get(self, name: str) -> Command | Group | None:
        if name not in self._commands and name in self._lazy:
            module_name, _, attribute = self._lazy[name].partition(":")
            # __import__, not importlib.import_module: `python -X importtime` reports only
            # imports made through it, and tests read that report to see what a verb loaded.
            __import__(module_name)
            if attribute and name not in self._commands:
                self.add(getattr(sys.modules[module_name], attribute), name)
        return self._commands.get(name)

    @property
    def commands(self) -> dict[str, Command | Group]:
        """Every command, sorted by name: imports every module the group names."""
        for name in self._lazy:
            self.get(name)
        return dict(sorted(self._commands.items()))

    def render_help(self, path: str) -> str:
        """Usage, description, options, the commands with their first line, the epilog."""
        import textwrap  # only for help

        entries = self.commands
        usage = f"usage: {path}{' [OPTIONS]' if len(self.options) > 1 else ' [-h]'} COMMAND ..."
        lines = [usage, "", self.help, "", "options:"]
        width = max(len(flags) for flags, _ in self.options) + 2
        lines += [f"  {flags.ljust(width)}{text}" for flags, text in self.options]
        lines += ["", "commands:"]
        width = max(len(name) for name in entries) + 2
        lines += [f"  {name.ljust(width)}{short_help(c.help)}" for name, c in entries.items()]
        lines += ["", f"Run `{path} COMMAND --help` for what a command takes."]
        if self.epilog:
            lines += ["", textwrap.fill(self.epilog, width=min(_columns(), 100))]
        return "\n".join(lines) + "\n"

    def unknown(self, name: str, path: str) -> UsageError:
        import difflib  # only for the error: not on every start

        known = sorted(self.commands)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        verb = path.split()[-1]
        return UsageError(
            f"no such thing to {verb}: {name!r}{hint}; try one of: {', '.join(known)}"
        )


def _formatter(prog: str) -> argparse.HelpFormatter:
    # argparse makes a formatter for every add_argument (to check metavars); its default asks
    # shutil for the terminal width, and importing shutil (zlib, bz2, lzma) cost ~3 ms a start.
    return argparse.RawDescriptionHelpFormatter(prog, width=min(_columns(), 100))


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns - 2
    except (OSError, ValueError):
        return 100


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)  # main prints it as one line with a pointer to --help


class Context:
    """One invocation: the data root chosen, the command's path, the Client once opened."""

    def __init__(self, root_option: str | None = None) -> None:
        self.root_option = root_option  # --root, when given
        self.command_path = "pachlite"
        self.project = "default"  # --project, when the command takes it and it is given
        self._client: Client | None = None

    @property
    def root(self) -> str | None:
        """--root, else $PACHLITE_ROOT (None: the store's default, ./.pachlite)."""
        from pachlite.pfs.store import ROOT_ENV  # here: --help and --version open no store

        root = self.root_option or os.environ.get(ROOT_ENV) or None
        if root is not None and os.path.exists(root) and not os.path.isdir(root):
            message = f"invalid value for --root (or ${ROOT_ENV}): {root!r} is a file"
            raise UsageError(message, where="pachlite")
        return root

    def client(self) -> Client:
        """The Client for this invocation, opened on first use and closed when the CLI exits."""
        if self._client is None:
            # Imported here, not at the top: help, --version and usage errors never load it.
            from pachlite.client import Client

            self._client = Client(self.root, project=self.project)
        return self._client

    def exit(self, code: int) -> NoReturn:
        raise SystemExit(code)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
