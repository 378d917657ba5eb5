"""Shared fixtures: a Client on a fresh data root, and the real CLI run as a subprocess.

What the fixtures are made of lives in tests/support/, which tests import directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pachlite import Client
from tests.support.cli import Cli


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with Client(tmp_path / "store") as c:
        yield c


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    return Cli(root=tmp_path / "store", cwd=work)
