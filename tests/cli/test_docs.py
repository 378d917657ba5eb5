"""The documentation tells the truth: the README's commands run, every command has help."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from pachlite.cli.command import Command, Group, Option
from pachlite.cli.errors import EXIT_CODE_HELP, EXIT_CODES, INTERNAL_ERROR, INTERRUPTED
from pachlite.cli.main import cli
from tests.support.readme import README, fenced_block_after
from tests.support.repo import REPO_ROOT


def run_block(marker: str) -> subprocess.CompletedProcess[str]:
    """Run a README shell block with bash -euo pipefail from the repo root, as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "PACHLITE_ROOT"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", fenced_block_after(marker, "sh")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow
def test_quick_tour_runs_as_written() -> None:
    result = run_block("<!-- quick-tour")
    assert "meow\n" in result.stdout
    assert "thumbnails@" in result.stdout and "checked" in result.stdout and ": ok" in result.stdout
    assert "backed up 2 repos" in result.stdout


@pytest.mark.slow
def test_pipeline_tour_runs_as_written() -> None:
    result = run_block("<!-- pipeline-tour")
    assert "5\n" in result.stdout  # words counted after the second batch
    assert "JOB_SUCCESS" in result.stdout and "SKIPPED" in result.stdout
    assert "1 processed, 1 skipped" in result.stderr


def test_python_example_runs(tmp_path: Path) -> None:
    script = fenced_block_after("The same verbs are Python calls", "python")
    result = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "python")
            if (REPO_ROOT / ".venv").exists()
            else "python",
            "-c",
            script,
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PACHLITE_ROOT"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "b'cat'" in result.stdout and "labels@" in result.stdout


def all_commands(group: Group, prefix: str = "") -> list[tuple[str, Command | Group]]:
    found: list[tuple[str, Command | Group]] = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, Group):
            found += all_commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(cli))
def test_every_command_has_help(name: str, command: Command | Group) -> None:
    assert command.help and command.help.strip(), f"`pachlite {name}` has no help"
    if isinstance(command, Command):
        for param in command.params:
            if isinstance(param, Option):
                assert param.help, f"`pachlite {name}` option {param.names} has no help"


def test_every_exit_code_is_in_the_help_and_the_readme() -> None:
    codes = [code for _, code in EXIT_CODES] + [INTERNAL_ERROR, INTERRUPTED]
    readme_codes = README[README.index("**Exit codes**") :].split("\n- ")[0]
    for code in codes:
        assert re.search(rf"\b{code} [a-z]", EXIT_CODE_HELP), code
        assert re.search(rf"\b{code} [a-z]", readme_codes), code


def test_every_issue_3_verb_exists() -> None:
    names = {name for name, _ in all_commands(cli)}
    for verb in [
        "create repo",
        "list repo",
        "inspect repo",
        "delete repo",
        "put file",
        "get file",
        "list file",
        "glob file",
        "diff file",
        "inspect file",
        "delete file",
        "copy file",
        "start commit",
        "finish commit",
        "list commit",
        "inspect commit",
        "wait commit",
        "delete commit",
        "squash commit",
        "create branch",
        "list branch",
        "inspect branch",
        "fsck",
    ]:
        assert verb in names, verb


def test_the_root_option_help_names_the_store_defaults() -> None:
    from pachlite.pfs.store import DEFAULT_ROOT, ROOT_ENV

    assert f"${ROOT_ENV}, else ./{DEFAULT_ROOT}" in cli.render_help("pachlite")
