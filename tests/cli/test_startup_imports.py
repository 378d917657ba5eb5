"""A light verb imports only what it needs: no pipeline machinery, no heavy third-party module.

Start-up time is measured in bench/cli_startup.py; this asserts the behaviour behind it (what a
verb loads), read from `python -X importtime`'s report of a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Cli

CONSOLE_SCRIPT = Path(sys.executable).parent / "pachlite"

# Third-party packages the CLI uses only for progress bars, spec parsing or a cluster, and the
# parts of pachlite that only pipeline, maintenance and ingest verbs need.
HEAVY = (
    "rich",
    "yaml",
    "jsonschema",
    "grpc",
    "numpy",
    "pachyderm_sdk",
    "betterproto",
    "google.protobuf",
    "urllib.request",
    "concurrent.futures",
    "subprocess",
    "pachlite.pps",  # the whole pipeline package: specs, datums, planning
    "pachlite.worker.jobs",
    "pachlite.worker.datum",
    "pachlite.worker.pipelines",
    "pachlite.pfs.backup",
    "pachlite.pfs.fsck",
    "pachlite.pfs.ingest",
    # The CLI is argparse under pachlite.cli.command: click (~45 ms a start with what it
    # imports) stays out.
    "click",
)

LIGHT_VERBS = [
    ("--version",),
    ("--help",),
    ("list", "--help"),
    ("list", "repo"),
    ("list", "repo", "-o", "json"),
    ("inspect", "repo", "images"),
    ("list", "branch", "images"),
    ("list", "commit", "images"),
    ("inspect", "commit", "images@master"),
    ("list", "file", "images@master"),
    ("inspect", "file", "images@master:/cat.txt"),
    ("get", "file", "images@master:/cat.txt"),
    ("list", "repo", "--no-such-flag"),  # a usage error
    ("inspect", "repo", "nope"),  # an expected error: not found
]


def imported_modules(stderr: str) -> set[str]:
    """The module names in `-X importtime`'s report (`import time: self | cumulative | name`)."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name)
    return names


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("light-verbs")
    work = base / "work"
    work.mkdir()
    cli = Cli(root=base / "store", cwd=work)
    cli("create", "repo", "images")
    cli("put", "file", "images@master:/cat.txt", stdin=b"meow\n")
    return base / "store"


def run_traced(entry: list[str], args: tuple[str, ...], root: Path) -> tuple[int, str, str]:
    env = {**os.environ, "PACHLITE_ROOT": str(root)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *entry, *args],
        capture_output=True,
        env=env,
        timeout=120,
        text=True,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args", LIGHT_VERBS, ids=" ".join)
def test_a_light_verb_imports_no_heavy_module(args: tuple[str, ...], store: Path) -> None:
    code, _, err = run_traced(["-m", "pachlite"], args, store)
    modules = imported_modules(err)
    assert "pachlite.cli.main" in modules  # the report is there and the CLI ran
    assert code in (0, 2, 3), err[-2000:]
    assert heavy_in(modules) == []


# What a store costs to open (sqlite3, OpenSSL's hashes, the tree codec) and the client with it.
STORE = ("sqlite3", "hashlib", "pachlite.client", "pachlite.pfs.db", "pachlite.pfs.objects")
# The commit, branch, file and job functions, which `list repo` never runs.
NOT_FOR_REPOS = (
    "pachlite.pfs.branches",
    "pachlite.pfs.commits",
    "pachlite.pfs.commitsets",
    "pachlite.pfs.files",
    "pachlite.pfs.heads",
    "pachlite.pfs.provenance",
    "pachlite.globpattern",
    "pachlite.worker",
    "pachlite.ppsdb",
)
# Loaded only to report an error (a traceback for -v, a "did you mean").
ERROR_PATH = ("traceback", "difflib")
# dataclasses and the inspect it imports (~10 ms): pachlite.lazyclass writes the methods of the
# records a light verb makes itself, so help and `list repo` never load them.
NO_RECORDS = ("dataclasses", "inspect")


def among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("list", "--help")], ids=" ".join)
def test_help_and_version_open_no_store(args: tuple[str, ...], store: Path) -> None:
    code, _, err = run_traced(["-m", "pachlite"], args, store)
    modules = imported_modules(err)
    assert code == 0 and "pachlite.cli.main" in modules, err[-2000:]
    assert among(modules, STORE + ERROR_PATH + NO_RECORDS + ("typing",)) == []


def test_list_repo_loads_no_commit_file_or_job_code(store: Path) -> None:
    code, out, err = run_traced(["-m", "pachlite"], ("list", "repo"), store)
    modules = imported_modules(err)
    assert code == 0 and out.startswith("NAME"), err[-2000:]
    assert "pachlite.pfs.repos" in modules and "sqlite3" in modules  # it did open the store
    assert among(modules, NOT_FOR_REPOS + ERROR_PATH + NO_RECORDS) == []


# What only a verb that hashes content or reads a tree needs: OpenSSL's hashes, the tree codec,
# and `typing` (~10 ms a start; pfs.nodes' Entry is a typing.NamedTuple). Everywhere else type
# names are imported under a module-level `TYPE_CHECKING = False`, which mypy reads as true.
HASH_AND_TREE = ("hashlib", "_hashlib", "pachlite.pfs.tree", "typing")


@pytest.mark.parametrize(
    "args",
    [("list", "repo"), ("list", "commit", "images"), ("inspect", "commit", "images@master")],
    ids=" ".join,
)
def test_a_metadata_verb_hashes_nothing_and_reads_no_tree(
    args: tuple[str, ...], store: Path
) -> None:
    code, out, err = run_traced(["-m", "pachlite"], args, store)
    modules = imported_modules(err)
    assert code == 0 and out, err[-2000:]
    assert "sqlite3" in modules  # it did read the store
    assert among(modules, HASH_AND_TREE) == []
    if args == ("list", "repo"):
        assert "json" not in modules  # a text listing encodes no JSON


def test_get_file_still_verifies_what_it_reads(store: Path) -> None:
    # The check above would pass vacuously if the report missed modules: reading a file hashes it.
    code, out, err = run_traced(
        ["-m", "pachlite"], ("get", "file", "images@master:/cat.txt"), store
    )
    assert code == 0 and out == "meow\n", err[-2000:]
    assert among(imported_modules(err), HASH_AND_TREE) == sorted(HASH_AND_TREE)


@pytest.mark.parametrize(
    "args",
    [("list", "commit", "images"), ("get", "file", "images@master:/cat.txt")],
    ids=" ".join,
)
def test_a_verb_that_succeeds_loads_no_error_reporting(args: tuple[str, ...], store: Path) -> None:
    code, _, err = run_traced(["-m", "pachlite"], args, store)
    modules = imported_modules(err)
    assert code == 0, err[-2000:]
    assert among(modules, ERROR_PATH) == []


def test_the_console_script_imports_no_heavy_module(store: Path) -> None:
    if not CONSOLE_SCRIPT.exists():
        pytest.skip("no console script next to this interpreter (package not installed)")
    code, out, err = run_traced([str(CONSOLE_SCRIPT)], ("list", "commit", "images"), store)
    modules = imported_modules(err)
    assert code == 0, err[-2000:]
    assert "pachlite.cli.main" in modules and out.startswith("REPO")
    assert heavy_in(modules) == []
    assert "importlib.metadata" not in modules  # the script calls main() directly
    # `make setup` installs the checkout as a plain sys.path entry (pyproject.toml's
    # package-dir), not through setuptools' editable import hook, which cost every start ~15 ms.
    assert [m for m in modules if m.startswith("__editable__")] == []


def test_a_spec_verb_still_loads_the_spec_parser(store: Path, tmp_path: Path) -> None:
    # The checks above would pass vacuously if the report missed modules: a spec verb loads yaml.
    spec = tmp_path / "broken.yaml"
    spec.write_text("pipeline: [unclosed\n")
    code, _, err = run_traced(["-m", "pachlite"], ("create", "pipeline", "-f", str(spec)), store)
    assert code == 2, err[-2000:]
    assert "yaml" in imported_modules(err)


def test_a_verb_imports_the_module_of_its_noun_only(store: Path) -> None:
    code, _, err = run_traced(["-m", "pachlite"], ("list", "repo"), store)
    modules = imported_modules(err)
    assert code == 0, err[-2000:]
    assert "pachlite.cli.repo" in modules
    others = {
        "pachlite.cli.pipeline",
        "pachlite.cli.up",
        "pachlite.cli.cluster",
        "pachlite.cli.job",
    }
    assert sorted(others & modules) == []


def test_the_lazy_tables_name_the_module_of_every_command() -> None:
    # A command is found by importing the module its table names; a wrong entry would make
    # `pachlite <verb> <noun>` fail although help lists it.
    from pachlite.cli.command import Command, Group
    from pachlite.cli.main import TOP_LEVEL, cli
    from pachlite.cli.verbs import NOUN_MODULES, VERBS

    verbs = {verb.name for verb in VERBS}
    for name, command in cli.commands.items():
        if name in verbs:
            assert isinstance(command, Group)
            for noun, sub in command.commands.items():
                assert isinstance(sub, Command)
                assert sub.callback.__module__ == NOUN_MODULES[noun], f"{name} {noun}"
        else:
            module, _, attribute = TOP_LEVEL[name].partition(":")
            assert attribute and sys.modules[module].__dict__[attribute] is command, name
