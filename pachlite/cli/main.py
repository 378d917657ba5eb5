"""`pachlite`: pachctl's commands on a local store. Errors are one line; -v adds the traceback."""

from __future__ import annotations

import sys

from pachlite import __version__
from pachlite.cli.command import Command, Context, Group, UsageError
from pachlite.cli.errors import EXIT_CODE_HELP, INTERNAL_ERROR, INTERRUPTED, exit_code_for
from pachlite.cli.output import echo
from pachlite.cli.verbs import VERBS
from pachlite.errors import PachliteError

# Commands that are not `<verb> <noun>`, imported when run (or when help lists them all).
TOP_LEVEL = {
    "logs": "pachlite.cli.job:logs",
    "up": "pachlite.cli.up:up",
    "version": "pachlite.cli.version:version",
    "draw": "pachlite.cli.up:draw",
    "validate": "pachlite.cli.cluster:validate",
    "deploy": "pachlite.cli.cluster:deploy",
    "fsck": "pachlite.cli.maintenance:fsck",
    "backup": "pachlite.cli.maintenance:backup",
    "restore": "pachlite.cli.maintenance:restore",
}

HELP_OPTIONS = {"-h", "--help"}

cli = Group(
    "pachlite",
    """pachlite: Pachyderm's versioned data and provenance on one machine.

    References use pachctl's grammar: REPO@BRANCH, REPO@COMMIT-ID, REPO@BRANCH^N,
    REPO@BRANCH.N, and REPO@REF:/path for files.
    """,
    lazy=TOP_LEVEL,
    options=[
        # Written out, not read from pachlite.pfs.store: help opens no store (test_docs checks).
        ("--root DIR", "Data root (default: $PACHLITE_ROOT, else ./.pachlite)."),
        ("-v, --verbose", "Show tracebacks for errors."),
        ("--version", "Show the version and exit."),
    ],
    epilog=EXIT_CODE_HELP,
)
for verb in VERBS:
    cli.add(verb)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning expected errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "--verbose") for a in args[: _first_command(args)])
    ctx = Context()
    try:
        dispatch(ctx, args)
    except PachliteError as error:
        if verbose:
            import traceback

            traceback.print_exc()
        echo(f"error: {error}", err=True)
        sys.exit(exit_code_for(error))
    except UsageError as error:
        message = str(error).rstrip(".")
        echo(f"error: {message}; see `{error.where or ctx.command_path} --help`", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        sys.exit(INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        sys.exit(0)
    except Exception as error:  # a bug: say so in one line, full detail with -v
        if verbose:
            import traceback

            traceback.print_exc()
        echo(
            f"internal error: {type(error).__name__}: {error}; rerun with -v for the traceback "
            "and report it",
            err=True,
        )
        sys.exit(INTERNAL_ERROR)
    finally:
        ctx.close()


def dispatch(ctx: Context, args: list[str]) -> None:
    """Read the global options, then walk groups down to one command and run it."""
    rest = _global_options(ctx, args)
    group: Group = cli
    while True:
        if not rest:
            if group is cli:  # a bare `pachlite`: the overview (exit 2, as click had it)
                sys.stderr.write(cli.render_help("pachlite"))
                raise SystemExit(2)
            known = ", ".join(group.commands)
            raise UsageError(f"missing what to {group.name}: one of {known}")
        name, rest = rest[0], rest[1:]
        if name in HELP_OPTIONS:
            sys.stdout.write(group.render_help(ctx.command_path))
            return
        if name.startswith("-"):
            raise UsageError(f"no such option: {name}")
        found = group.get(name)
        if found is None:
            raise _unknown_command(name) if group is cli else group.unknown(name, ctx.command_path)
        ctx.command_path += f" {name}"
        if isinstance(found, Command):
            found.run(ctx, rest)
            return
        group = found


def _global_options(ctx: Context, args: list[str]) -> list[str]:
    """`--root DIR`, `-v`, `--version`, `-h` before the command; returns what follows them."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg in ("-v", "--verbose"):
            pass  # read by main() before anything can fail
        elif arg == "--version":
            sys.stdout.write(f"pachlite, version {__version__}\n")
            raise SystemExit(0)
        elif arg in HELP_OPTIONS:
            sys.stdout.write(cli.render_help("pachlite"))
            raise SystemExit(0)
        elif arg == "--root" or arg.startswith("--root="):
            if arg == "--root":
                i += 1
                if i == len(args):
                    raise UsageError("option --root requires an argument")
                ctx.root_option = args[i]
            else:
                ctx.root_option = arg.partition("=")[2]
        elif arg == "--":
            return args[i + 1 :]
        else:
            raise UsageError(f"no such option: {arg}")
        i += 1
    return args[i:]


def _unknown_command(name: str) -> UsageError:
    import difflib  # only for the error: not on every start

    close = difflib.get_close_matches(name, list(cli.commands), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UsageError(f"no such command: {name!r}{hint}")


def _first_command(args: list[str]) -> int:
    for i, arg in enumerate(args):
        if not arg.startswith("-") and (i == 0 or args[i - 1] != "--root"):
            return i
    return len(args)
