"""Pending transactions: requests recorded to be applied together, kept until finished or
deleted.

pachd keeps its pending transactions in postgres (src/server/transaction/server/driver.go), so
they outlive a restart; here they are rows of the store. The body is the recorded requests as
the server encoded them: bytes this layer stores and never reads. `version` moves on with
every change, so a writer that read an older one knows it lost a race.
"""

from __future__ import annotations

import time
import uuid

from pachlite.lazyclass import dataclass
from pachlite.pfs.db import Row
from pachlite.pfs.store import Store


@dataclass(frozen=True)
class PendingTransaction:
    id: str
    started: float  # seconds since the epoch
    version: int
    body: bytes


def start(store: Store, body: bytes = b"") -> PendingTransaction:
    """A new pending transaction; its ID is a commit set ID too (pachd's are the same)."""
    row = PendingTransaction(uuid.uuid4().hex, time.time(), 0, body)
    store.db.execute(
        "INSERT INTO transactions (id, started, version, body) VALUES (?, ?, ?, ?)",
        (row.id, row.started, row.version, row.body),
    )
    return row


def get(store: Store, txn_id: str) -> PendingTransaction | None:
    row = store.db.one("SELECT * FROM transactions WHERE id = ?", (txn_id,))
    return None if row is None else _record(row)


def list_all(store: Store) -> list[PendingTransaction]:
    """Every pending transaction, oldest first."""
    return [_record(r) for r in store.db.all("SELECT * FROM transactions ORDER BY started, id")]


def save(store: Store, txn_id: str, body: bytes, version: int) -> bool:
    """Replace the body of the transaction if it is still at `version`; False if it is gone
    or has moved on."""
    cursor = store.db.execute(
        "UPDATE transactions SET body = ?, version = version + 1 WHERE id = ? AND version = ?",
        (body, txn_id, version),
    )
    return cursor.rowcount == 1


def delete(store: Store, txn_id: str) -> bool:
    cursor = store.db.execute("DELETE FROM transactions WHERE id = ?", (txn_id,))
    return cursor.rowcount == 1


def delete_all(store: Store) -> int:
    return store.db.execute("DELETE FROM transactions").rowcount


def _record(row: Row) -> PendingTransaction:
    return PendingTransaction(row["id"], row["started"], row["version"], bytes(row["body"]))
