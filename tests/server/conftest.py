"""One real server per test module (starting one costs a Python start and grpc's import),
with names unique per test so tests on it do not see each other's repos."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Cli
from tests.support.grpc_server import ServerProcess, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("grpc") / "store"
    running = start_server(root)
    try:
        yield running
    finally:
        code = running.stop()
        assert code == 0, f"the server exited {code} on SIGTERM"


@pytest.fixture(scope="module")
def sdk(server: ServerProcess) -> Any:
    return server.sdk()


@pytest.fixture
def name() -> Callable[[str], str]:
    """name("images") -> "images-3f2a1c", unique to this test."""
    tag = uuid.uuid4().hex[:6]
    counter = itertools.count()

    def make(base: str) -> str:
        return f"{base}-{tag}{next(counter) or ''}"

    return make


@pytest.fixture
def server_cli(server: ServerProcess, tmp_path: Path) -> Cli:
    """The real CLI on the server's data root."""
    return Cli(root=server.root, cwd=tmp_path)
