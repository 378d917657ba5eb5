"""The transaction half of `pachlite.Client`: pending transactions, and blocks of verbs that
take effect together or not at all.

A pending transaction holds requests someone recorded (the gRPC server encodes them; this
layer keeps them as bytes). Applying them is the caller's: inside `atomically(set_id)` every
verb joins one SQLite transaction, nested verbs become savepoints, and every commit started
belongs to the commit set `set_id`, as pachd gives a transaction's commits its ID.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pachlite.errors import NotFound

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from pachlite.pfs.store import Store
    from pachlite.pfs.transactions import PendingTransaction


class TransactionNotFound(NotFound):
    pass


class _DryRun(Exception):
    """Raised at the end of a dry run so that the block's changes roll back."""


class TransactionVerbs:
    store: Store

    def start_transaction(self) -> PendingTransaction:
        from pachlite.pfs import transactions

        self.store.require_writable()
        with self.store.db.atomic():
            return transactions.start(self.store)

    def inspect_transaction(self, txn_id: str) -> PendingTransaction:
        from pachlite.pfs import transactions

        found = transactions.get(self.store, txn_id)
        if found is None:
            raise _not_found(txn_id)
        return found

    def list_transactions(self) -> list[PendingTransaction]:
        from pachlite.pfs import transactions

        return transactions.list_all(self.store)

    def record_transaction(self, txn_id: str, body: bytes, version: int) -> PendingTransaction:
        """Store new requests for a transaction last read at `version`; call inside
        `atomically()` with that read, so nothing else changes it in between."""
        from pachlite.pfs import transactions

        if not transactions.save(self.store, txn_id, body, version):
            raise _not_found(txn_id)
        return self.inspect_transaction(txn_id)

    def delete_transaction(self, txn_id: str) -> None:
        from pachlite.pfs import transactions

        with self.store.db.atomic():
            if not transactions.delete(self.store, txn_id):
                raise _not_found(txn_id)

    def delete_all_transactions(self) -> None:
        from pachlite.pfs import transactions

        with self.store.db.atomic():
            transactions.delete_all(self.store)

    @contextmanager
    def atomically(self, commit_set: str | None = None) -> Iterator[None]:
        """Run the block's verbs as one change: all of it is kept, or (on an exception) none.
        With `commit_set`, every commit the block starts is in that commit set."""
        from pachlite.pfs import heads

        with self.store.db.atomic():
            if commit_set is None:
                yield
            else:
                with heads.one_commit_set(commit_set):
                    yield

    @contextmanager
    def dry_run(self, commit_set: str | None = None) -> Iterator[None]:
        """Like `atomically`, but nothing the block does is kept, even when it succeeds
        (an enclosing `atomically` block keeps its own changes)."""
        try:
            with self.atomically(commit_set):
                yield
                raise _DryRun
        except _DryRun:
            pass


def _not_found(txn_id: str) -> TransactionNotFound:
    return TransactionNotFound(
        f"transaction {txn_id} not found", "`list transaction` shows the pending ones"
    )
