"""`python -m pachlite.server --root DIR [--address HOST:PORT]`: serve until SIGTERM or
SIGINT, then stop cleanly and exit 0. A failure to start is one line on stderr, exit 1
(2 for a bad argument)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from pachlite.errors import InvalidArgument, PachliteError
from pachlite.server import ADDRESS_ENV, DEFAULT_ADDRESS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pachlite.server",
        description="Serve Pachyderm's gRPC API (pfs_v2 and friends) for one pachlite root.",
    )
    parser.add_argument("--root", help="the data root (default: $PACHLITE_ROOT, ./.pachlite)")
    parser.add_argument(
        "--address",
        default=os.environ.get(ADDRESS_ENV, DEFAULT_ADDRESS),
        help=f"HOST:PORT to listen on (default: ${ADDRESS_ENV}, else {DEFAULT_ADDRESS})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every failed call")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # gRPC's core logs to stderr on its own; keep a failure to start one line unless -v.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR" if args.verbose else "NONE")
    try:
        # The SDK's messages are what this server speaks; without them it cannot start.
        from pachlite.server.app import Server
        from pachlite.server.services import registry
    except ImportError as exc:
        sys.stderr.write(f"pachlite server: {exc.name} is not installed; install pachyderm-sdk\n")
        return 1
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server = Server(args.root, args.address, registry())
        server.start()
    except PachliteError as exc:
        sys.stderr.write(f"pachlite server: {exc}\n")
        return 2 if isinstance(exc, InvalidArgument) else 1
    # Say where it listens on stdout, the line a caller (or a test) waits for.
    sys.stdout.write(f"pachlite server listening on {server.bound} for {server.root}\n")
    sys.stdout.flush()
    while not stopping.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
