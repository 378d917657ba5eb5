"""The gRPC server: one data root, one address, the registered calls, a pool of threads."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from pachlite import lazyclass
from pachlite.errors import InvalidArgument, Unavailable
from pachlite.server.clients import ThreadClients
from pachlite.server.registry import MAX_MESSAGE_BYTES, Registry

log = logging.getLogger("pachlite.server")

# Each worker thread keeps one Client (one SQLite connection); a waiting InspectCommit holds
# its thread, so there are enough for waiters and callers together.
WORKERS = 32
# grpc's own bound on a message it takes in, far above pachd's 20 MiB (which registry checks,
# so that a refused message fails its whole stream): what one call may make the server hold.
RECEIVE_LIMIT = 64 * 1024 * 1024
STOP_GRACE_S = 5.0


def parse_address(address: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets) into its parts; one clear line if it is not."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidArgument(f"address {address!r} is not HOST:PORT", "e.g. 127.0.0.1:30650")
    return host, int(port)


class Server:
    """Serves `registry` for the data root `root` on `address` once started."""

    def __init__(self, root: str | Path | None, address: str, registry: Registry) -> None:
        parse_address(address)
        self.address = address
        self.clients = ThreadClients(root)
        self._grpc = grpc.server(
            ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pachlite-grpc"),
            handlers=[registry.generic_handler(self.clients)],
            options=[
                ("grpc.max_receive_message_length", RECEIVE_LIMIT),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # One server per address: a second one must fail, not share the port.
                ("grpc.so_reuseport", 0),
            ],
        )
        self.port = 0
        self.root: Path | None = None

    def start(self) -> None:
        """Bind and serve. The store is opened first, so a root that cannot be opened is
        one line before anything listens."""
        self.root = self.clients.get().root  # opens (and migrates) the store
        lazyclass.materialize_all()  # before any thread makes records (pachlite.lazyclass)
        try:
            # Older grpcio answers 0 for an address it cannot bind, newer raises.
            self.port = self._grpc.add_insecure_port(self.address)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise Unavailable(
                f"cannot listen on {self.address}",
                "is another server using it? pass --address HOST:PORT",
            )
        self._grpc.start()
        log.info("serving %s on %s", self.root, self.bound)

    @property
    def bound(self) -> str:
        host, _ = parse_address(self.address)
        return f"{host}:{self.port}"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped (or `timeout`); True once stopped."""
        return bool(self._grpc.wait_for_termination(timeout))

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Refuse new calls, let running ones end within `grace`, then close the store."""
        self._grpc.stop(grace).wait()
        self.clients.close_all()
