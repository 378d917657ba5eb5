"""One `pachlite.Client` per serving thread.

A Client holds a Store, and a Store one SQLite connection with its own transaction state:
two threads sharing one would interleave their transactions. gRPC serves each call on a
worker thread of a pool, so each worker opens its own Client on first use and keeps it; they
are closed together when the server stops.
"""

from __future__ import annotations

import os
import threading

from pachlite.client import Client


class ThreadClients:
    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = root
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Client] = []
        self._closed = False

    def get(self) -> Client:
        """This thread's Client, opened on its first call."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client(self.root)
            with self._lock:
                if self._closed:
                    client.close()
                    raise RuntimeError("the server is stopping")
                self._opened.append(client)
            self._local.client = client
        return client

    def close_all(self) -> None:
        """Close every thread's Client (the connections allow it from any thread); called
        once no call is being served."""
        with self._lock:
            self._closed = True
            opened, self._opened = self._opened, []
        for client in opened:
            client.close()
