"""The bad-input catalogue: each case is a real `pachlite` command on a prepared store, and
must end with one line on stderr saying what is wrong, a non-zero exit, no traceback, and the
store byte-for-byte unchanged (every metadata row and every object).

Archives, images, inference requests, git remotes and Pachyderm addresses have their own
catalogued cases next to the code that handles them (tests/steps/test_warehouse.py,
test_serving.py, test_release.py, tests/cli/test_cluster.py); docs/reliability.md counts them
all. The cases are data in tests/support/bad_inputs.py, which bench/reliability.py counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pachlite import Client
from tests.support.bad_inputs import CATALOGUE, Case
from tests.support.mounts import obeying_modes
from tests.support.repo import REPO_ROOT
from tests.support.store_snapshot import snapshot


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-inputs") / "store"
    with Client(root) as client:
        client.create_repo("data")
        client.put_file_bytes("data@master:/a.txt", b"hello")
        client.create_pipeline(
            {
                "pipeline": {"name": "p"},
                "input": {"pfs": {"repo": "data", "glob": "/*"}},
                "transform": {"cmd": ["cp", "$data", "/pfs/out/"]},
            }
        )
    return root


def test_the_catalogue_has_at_least_forty_distinct_cases() -> None:
    assert len({c.id for c in CATALOGUE}) == len(CATALOGUE) >= 40


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda c: c.id)
def test_bad_input_is_one_line_nonzero_no_traceback_store_unchanged(
    case: Case, prepared: Path, tmp_path: Path
) -> None:
    for name, text in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    for name, target in case.links.items():
        (tmp_path / name).symlink_to(target)
    env = {**os.environ, "PACHLITE_ROOT": str(prepared), "PYTHONPATH": str(REPO_ROOT)}
    for args in case.setup:
        subprocess.run([sys.executable, "-m", "pachlite", *args], cwd=tmp_path, env=env, check=True)
    prefix = obeying_modes() if case.unreadable else ()
    for name in case.unreadable:
        (tmp_path / name).chmod(0)
    before = snapshot(prepared)
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "pachlite", *case.args],
        input=case.stdin,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    for name in case.unreadable:
        (tmp_path / name).chmod(0o755)
    err = result.stderr.decode()
    assert result.returncode == case.code, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert case.says in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(prepared) == before, "the store changed"
