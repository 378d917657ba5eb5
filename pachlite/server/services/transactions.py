"""transaction_v2 Start, Inspect, List, Delete, Finish, BatchTransaction and DeleteAll, and the
recording of writes made in a transaction.

As in pachd (src/server/transaction/server/driver.go, src/internal/transactionenv/env.go):
- A call of CreateRepo, DeleteRepo, StartCommit, FinishCommit, SquashCommitSet, CreateBranch
  or DeleteBranch whose `pach-transaction` header names a transaction is recorded in it, not
  made. It is checked first by a dry run of the whole transaction with it appended (rolled
  back), which also gives its answer: a StartCommit's commit has the transaction's ID, the ID
  of the commit set every commit of the transaction joins. A request that fails its dry run
  is refused and not recorded.
- FinishTransaction replays the requests in one SQLite transaction with the pending
  transaction's removal: all take effect, or (on any failure) none, and it stays pending.
  BatchTransaction does the same with requests given at once, recording nothing.
- A failure reads "error running request N of M: <the request's own error>", with that
  error's code. An unknown transaction is NOT_FOUND, "transactions ID not found".
pps_v2's writes in a transaction (UpdateJobState, StopJob, CreatePipeline) are not served yet:
a batch holding one is refused with UNIMPLEMENTED, nothing applied.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import betterproto
import grpc
from betterproto.lib.google.protobuf import Empty
from pachyderm_sdk.api import transaction

from pachlite.client.transactions import TransactionNotFound
from pachlite.server import messages, status
from pachlite.server.registry import Call, Message, Registry, Unary

SERVICE = "transaction_v2.API"

# TransactionRequest's fields and the pfs_v2 calls they record (pachd's PfsWrites).
PFS_WRITES = {
    "create_repo": "CreateRepo",
    "delete_repo": "DeleteRepo",
    "start_commit": "StartCommit",
    "finish_commit": "FinishCommit",
    "squash_commit_set": "SquashCommitSet",
    "create_branch": "CreateBranch",
    "delete_branch": "DeleteBranch",
}
PPS_WRITES = ("update_job_state", "stop_job", "create_pipeline_v2")


@dataclass(frozen=True)
class _Applied:
    recorded: Message  # the TransactionResponse pachd keeps
    answer: Message  # what the call itself answered


def _not_found(txn_id: str) -> status.Status:
    return status.Status(grpc.StatusCode.NOT_FOUND, f"transactions {txn_id} not found")


def _txn_id(request: Message) -> str:
    return request.transaction.id if request.transaction is not None else ""


def _pending(call: Call, txn_id: str) -> tuple[Message, int]:
    """The stored TransactionInfo and the version it was read at."""
    try:
        found = call.client.inspect_transaction(txn_id)
    except TransactionNotFound:
        raise _not_found(txn_id) from None
    info = transaction.TransactionInfo().parse(found.body)
    info.transaction = transaction.Transaction(id=found.id)
    info.started = messages.timestamp(found.started)
    info.version = found.version
    return info, found.version


def _body(info: Message) -> bytes:
    """What is stored: the requests and responses (ID, start and version are columns)."""
    return bytes(transaction.TransactionInfo(requests=info.requests, responses=info.responses))


def _which(request: Message) -> tuple[str, Message] | None:
    for field in (*PFS_WRITES, *PPS_WRITES):
        value = getattr(request, field)
        if value is not None and betterproto.serialized_on_wire(value):
            return field, value
    return None


def _apply(served: Registry, call: Call, request: Message) -> _Applied:
    chosen = _which(request)
    if chosen is None:
        raise status.Status(grpc.StatusCode.UNKNOWN, "unrecognized transaction request type")
    field, inner = chosen
    name = f"/pfs_v2.API/{PFS_WRITES.get(field, '')}"
    if field not in PFS_WRITES or name not in served.methods:
        raise status.Status(
            grpc.StatusCode.UNIMPLEMENTED, f"pachlite does not serve {field} in a transaction yet"
        )
    answer = served.run(name, inner, call)
    if field == "start_commit":
        return _Applied(transaction.TransactionResponse(commit=answer), answer)
    return _Applied(transaction.TransactionResponse(), answer)


def _replay(served: Registry, call: Call, requests: list[Message]) -> list[_Applied]:
    """Run the requests in order (inside the caller's atomic block)."""
    applied = []
    for number, request in enumerate(requests, 1):
        try:
            applied.append(_apply(served, call, request))
        except status.Status as failed:
            text = f"error running request {number} of {len(requests)}: {failed.message}"
            raise status.Status(failed.code, text) from failed
    return applied


def _recorder(served: Registry, field: str) -> Unary:
    def record(request: Message, call: Call) -> Message:
        txn_id = call.transaction_id()
        with call.client.atomically():
            info, version = _pending(call, txn_id)
            info.requests.append(transaction.TransactionRequest(**{field: request}))
            with call.client.dry_run(commit_set=txn_id):
                applied = _replay(served, call, info.requests)
            info.responses = [a.recorded for a in applied]
            call.client.record_transaction(txn_id, _body(info), version)
        return applied[-1].answer

    return record


def register(served: Registry) -> None:
    for field, method in PFS_WRITES.items():
        name = f"/pfs_v2.API/{method}"
        if name in served.methods:  # SquashCommitSet may not be served yet
            served.divert(name, _recorder(served, field))

    @served.unary(SERVICE, "StartTransaction", transaction.StartTransactionRequest)
    def start_transaction(request: Message, call: Call) -> Message:
        return transaction.Transaction(id=call.client.start_transaction().id)

    @served.unary(SERVICE, "InspectTransaction", transaction.InspectTransactionRequest)
    def inspect_transaction(request: Message, call: Call) -> Message:
        return _pending(call, _txn_id(request))[0]

    @served.unary(SERVICE, "ListTransaction", transaction.ListTransactionRequest)
    def list_transaction(request: Message, call: Call) -> Message:
        infos = []
        for found in call.client.list_transactions():
            try:
                infos.append(_pending(call, found.id)[0])
            except status.Status:
                continue  # finished or deleted since the listing
        return transaction.TransactionInfos(transaction_info=infos)

    @served.unary(SERVICE, "DeleteTransaction", transaction.DeleteTransactionRequest)
    def delete_transaction(request: Message, call: Call) -> Message:
        txn_id = _txn_id(request)
        try:
            call.client.delete_transaction(txn_id)
        except TransactionNotFound:
            raise _not_found(txn_id) from None
        return Empty()

    @served.unary(SERVICE, "FinishTransaction", transaction.FinishTransactionRequest)
    def finish_transaction(request: Message, call: Call) -> Message:
        txn_id = _txn_id(request)
        with call.client.atomically(commit_set=txn_id):
            info, _ = _pending(call, txn_id)
            info.responses = [a.recorded for a in _replay(served, call, info.requests)]
            call.client.delete_transaction(txn_id)
        return info

    @served.unary(SERVICE, "BatchTransaction", transaction.BatchTransactionRequest)
    def batch_transaction(request: Message, call: Call) -> Message:
        txn_id = uuid.uuid4().hex
        started = time.time()
        with call.client.atomically(commit_set=txn_id):
            applied = _replay(served, call, list(request.requests))
        return transaction.TransactionInfo(
            transaction=transaction.Transaction(id=txn_id),
            requests=request.requests,
            responses=[a.recorded for a in applied],
            started=messages.timestamp(started),
        )

    @served.unary(SERVICE, "DeleteAll", transaction.DeleteAllRequest)
    def delete_all(request: Message, call: Call) -> Message:
        call.client.delete_all_transactions()
        return Empty()
