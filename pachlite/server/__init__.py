"""pachlite's pachd: Pachyderm's gRPC API served over `pachlite.Client`.

An edge, like the CLI: it parses the protobuf messages `pachyderm-sdk` 2.12 ships, calls the
client, and turns the answers and errors back into those messages and Pachyderm's gRPC status
codes. docs/api.md lists the calls served so far.

    python -m pachlite.server --root DIR [--address HOST:PORT]
"""

from __future__ import annotations

# The SDK's and pachctl's default address; never every interface unless asked for.
DEFAULT_ADDRESS = "127.0.0.1:30650"
ADDRESS_ENV = "PACHLITE_ADDRESS"

__all__ = ["ADDRESS_ENV", "DEFAULT_ADDRESS"]
