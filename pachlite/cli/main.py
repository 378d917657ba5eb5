"""`pachlite`: pachctl's commands on a local store. Errors are one line; -v adds the traceback."""

from __future__ import annotations

import sys

import click

from pachlite import __version__
from pachlite.cli.errors import EXIT_CODE_HELP, INTERNAL_ERROR, INTERRUPTED, exit_code_for
from pachlite.cli.verbs import VERBS, LazyGroup
from pachlite.errors import PachliteError
from pachlite.pfs.store import DEFAULT_ROOT, ROOT_ENV

# Commands that are not `<verb> <noun>`, imported when run (or when help lists them all).
TOP_LEVEL = {
    "logs": "pachlite.cli.job:logs",
    "up": "pachlite.cli.up:up",
    "draw": "pachlite.cli.up:draw",
    "validate": "pachlite.cli.cluster:validate",
    "deploy": "pachlite.cli.cluster:deploy",
    "fsck": "pachlite.cli.maintenance:fsck",
    "backup": "pachlite.cli.maintenance:backup",
    "restore": "pachlite.cli.maintenance:restore",
}


@click.group(
    cls=LazyGroup,
    lazy=TOP_LEVEL,
    epilog=EXIT_CODE_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--root",
    envvar=ROOT_ENV,
    type=click.Path(file_okay=False),
    help=f"Data root (default: ${ROOT_ENV}, else ./{DEFAULT_ROOT}).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="pachlite")
def cli(root: str | None, verbose: bool) -> None:
    """pachlite: Pachyderm's versioned data and provenance on one machine.

    References use pachctl's grammar: REPO@BRANCH, REPO@COMMIT-ID, REPO@BRANCH^N,
    REPO@BRANCH.N, and REPO@REF:/path for files.
    """


for verb in VERBS:
    cli.add_command(verb)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning expected errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "--verbose") for a in args[: _first_verb(args)])
    try:
        # Without standalone mode, click returns ctx.exit()'s code instead of exiting.
        code = cli.main(args=args, prog_name="pachlite", standalone_mode=False)
    except PachliteError as error:
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {error}", err=True)
        sys.exit(exit_code_for(error))
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "pachlite"
        message = error.format_message().rstrip(".")
        click.echo(f"error: {message}; see `{where} --help`", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        click.echo(f"error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        sys.exit(0)
    except Exception as error:  # a bug: say so in one line, full detail with -v
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(
            f"internal error: {type(error).__name__}: {error}; rerun with -v for the traceback "
            "and report it",
            err=True,
        )
        sys.exit(INTERNAL_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


def _first_verb(args: list[str]) -> int:
    for i, arg in enumerate(args):
        if not arg.startswith("-") and (i == 0 or args[i - 1] != "--root"):
            return i
    return len(args)
