"""A TCP forwarder: 127.0.0.1:<external_port> to the service's 127.0.0.1:<internal_port>.

On a cluster a service's container listens on internal_port and Kubernetes exposes it on the
NodePort external_port. Locally the process listens on internal_port as it would in its
container, and this forwarder gives it the external port, so a spec means the same thing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

CONNECT_RETRY_S = 30.0


class Forwarder:
    def __init__(self, external_port: int, internal_port: int) -> None:
        self.internal_port = internal_port
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", external_port))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        deadline = time.monotonic() + CONNECT_RETRY_S
        while True:  # the service may still be starting
            try:
                upstream = socket.create_connection(("127.0.0.1", self.internal_port), timeout=5)
                break
            except OSError:
                if self._closed.is_set() or time.monotonic() > deadline:
                    client.close()
                    return
                time.sleep(0.1)
        upstream.settimeout(None)
        other = threading.Thread(target=_pipe, args=(client, upstream), daemon=True)
        other.start()
        _pipe(upstream, client)
        other.join()
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self.server.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction; at its end, half-close so the other direction can finish."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
