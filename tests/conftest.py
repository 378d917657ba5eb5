"""Shared fixtures: a Client on a fresh data root, and the real CLI run as a subprocess.

What the fixtures are made of lives in tests/support/, which tests import directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pachlite import Client
from tests.support.cli import Cli

# Every `pachlite up` a test starts serves its API on a free port, so tests (and a daemon the
# developer runs on 30650) never fight for one. Tests of the default address set it back.
os.environ.setdefault("PACHLITE_ADDRESS", "127.0.0.1:0")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with Client(tmp_path / "store") as c:
        yield c


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    return Cli(root=tmp_path / "store", cwd=work)
