"""Pachyderm's API served beside `pachlite up` for as long as a block runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pachlite.server.app import Server
from pachlite.server.services import registry


@contextmanager
def serving(root: Path, address: str) -> Iterator[str]:
    """Listen on `address` for `root`; yields the address bound (port 0 picks a free one).
    A port in use is one line (Unavailable) before anything else starts."""
    # gRPC's core logs to stderr on its own; the daemon's console is the one log.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    server = Server(root, address, registry())
    server.start()
    try:
        yield server.bound
    finally:
        server.stop()
