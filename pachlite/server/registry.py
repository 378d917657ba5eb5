"""Service/method names to handlers, and the one wrapper every call goes through.

No generated server base exists for the SDK's betterproto messages, so each method is
registered with grpcio's generic handlers. Requests arrive as raw bytes and are parsed here,
not by grpcio: a message that does not parse is then INVALID_ARGUMENT (grpcio's own
deserializer failure would be INTERNAL), and every exception a handler raises becomes a
status in one place (`status.translate`), so a bad call never stops the server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import grpc

from pachlite.client import Client
from pachlite.server import status, wire
from pachlite.server.clients import ThreadClients

log = logging.getLogger("pachlite.server")

# A betterproto message class and instance; the SDK ships no type information (mypy skips it).
Message = Any
Subject = Callable[[Message], status.Subject]

TRANSACTION_HEADER = "pach-transaction"
# What pachd accepts (src/internal/grpcutil: MaxMsgSize, 20 MiB); the SDK sends up to 19 MiB.
# Checked here, not by grpc's own limit: grpcio ends a client stream whose message it refuses
# as if the client had closed it, so a ModifyFile could land what came before the refused
# message while its client is told RESOURCE_EXHAUSTED (app.RECEIVE_LIMIT is the far bound).
MAX_MESSAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Call:
    """What a handler gets besides its request: this thread's Client, and the call's
    liveness (a wait stops when the client has gone or its deadline has passed)."""

    client: Client
    context: grpc.ServicerContext

    def is_active(self) -> bool:
        return bool(self.context.is_active())

    def time_remaining(self) -> float | None:
        left = self.context.time_remaining()
        return None if left is None else float(left)

    def transaction_id(self) -> str:
        """The transaction the client works in ("" for none): the SDK sends it as the
        `pach-transaction` header (and an empty one after finishing, read as none)."""
        for key, value in self.context.invocation_metadata() or ():
            if key == TRANSACTION_HEADER and isinstance(value, str):
                return value
        return ""


Unary = Callable[[Message, Call], Message]
Streaming = Callable[[Message, Call], Iterator[Message]]


@dataclass(frozen=True)
class Settled:
    """What a client-streaming handler made of the stream: the answer, and the change it
    makes only once that answer has reached a client still on the call (`Registry.gather`)."""

    answer: Message
    effect: Callable[[], object] = lambda: None


# A client-streaming handler gets the parsed requests as they arrive (ModifyFile).
Gathering = Callable[[Iterator[Message], Call], Settled]


@dataclass(frozen=True)
class Method:
    name: str  # "/pfs_v2.API/InspectRepo"
    request: type
    handler: Unary | Streaming | Gathering
    streaming: bool
    subject: Subject | None
    # Answers sent as they are made, not built first: file bytes, which may not fit in memory
    # (an error then ends the stream after what was sent, as in pachd).
    lazy: bool = False
    gathering: bool = False
    # A parser for the common requests of a hot client stream, faster than betterproto's;
    # None for a request it leaves to the general one (which also says what is wrong).
    fast_parse: Callable[[bytes], Message | None] | None = None


class Registry:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}
        self.refused: dict[str, status.Status] = {}  # "/auth_v2.API/" -> the answer
        # Unary methods answered by another handler when the call carries a transaction ID:
        # pachd records those writes in the transaction instead of making them
        # (src/internal/transactionenv/env.go); services/transactions.py installs them.
        self.in_transaction: dict[str, Unary] = {}

    def refuse(self, service: str, answer: status.Status) -> None:
        """Answer every method of `service` with one status (auth when it is off)."""
        self.refused[f"/{service}/"] = answer

    def unary(self, service: str, method: str, request: type, subject: Subject | None = None
              ) -> Callable[[Unary], Unary]:  # fmt: skip
        """Decorate `handler(request, call) -> response` as `service/method`."""

        def register(handler: Unary) -> Unary:
            self._add(Method(f"/{service}/{method}", request, handler, False, subject))
            return handler

        return register

    def stream(self, service: str, method: str, request: type, subject: Subject | None = None,
               *, lazy: bool = False) -> Callable[[Streaming], Streaming]:  # fmt: skip
        """Decorate `handler(request, call) -> iterator of responses` as `service/method`;
        `lazy` sends each answer as it is made."""

        def register(handler: Streaming) -> Streaming:
            self._add(Method(f"/{service}/{method}", request, handler, True, subject, lazy))
            return handler

        return register

    def gather(self, service: str, method: str, request: type,
               fast_parse: Callable[[bytes], Message | None] | None = None
               ) -> Callable[[Gathering], Gathering]:  # fmt: skip
        """Decorate `handler(requests, call) -> Settled` (a client stream) as
        `service/method`; the handler names its own subject in its errors, and leaves what
        the call changes to `Settled.effect`, run only for a client still on the call. Small
        requests may be shared between calls (`_parse_small`): the handler must not change them."""

        def register(handler: Gathering) -> Gathering:
            name = f"/{service}/{method}"
            self._add(Method(name, request, handler, False, None, gathering=True,
                             fast_parse=fast_parse))  # fmt: skip
            return handler

        return register

    def divert(self, name: str, handler: Unary) -> None:
        """Answer the unary method `name` ("/pfs_v2.API/CreateRepo") with `handler` when the
        call carries a transaction ID."""
        method = self.methods.get(name)
        if method is None or method.streaming or method.gathering:
            raise ValueError(f"{name} is not a registered unary method")
        self.in_transaction[name] = handler

    def run(self, name: str, request: Message, call: Call) -> Message:
        """Serve `request` as the unary method `name` does, outside any transaction; a
        failure is raised as the Status the client would get (replaying recorded calls)."""
        method = self.methods[name]
        try:
            return cast(Unary, method.handler)(request, call)
        except Exception as exc:
            code, text = _status_of(method, request, exc)
            raise status.Status(code, text) from exc

    def _add(self, method: Method) -> None:
        if method.name in self.methods:
            raise ValueError(f"{method.name} is registered twice")
        self.methods[method.name] = method

    def generic_handler(self, clients: ThreadClients) -> grpc.GenericRpcHandler:
        return _Handler(self, clients)


class _Handler(grpc.GenericRpcHandler):  # type: ignore[misc]
    def __init__(self, registry: Registry, clients: ThreadClients) -> None:
        self.registry = registry
        self.clients = clients

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = self.registry.methods.get(details.method)
        if method is None:
            service, _, _ = details.method.rpartition("/")
            answer = self.registry.refused.get(service + "/")
            if answer is None:
                return None  # grpcio answers UNIMPLEMENTED
            return grpc.unary_unary_rpc_method_handler(_refusal(answer))
        if method.gathering:
            # Served as a stream of answers (one, on the wire the same as a unary answer; the
            # client's stub is stream-unary): see `_gathering` for why.
            return grpc.stream_stream_rpc_method_handler(
                self._gathering(method), request_deserializer=None, response_serializer=bytes
            )
        if method.streaming:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(method), request_deserializer=None, response_serializer=bytes
            )
        return grpc.unary_unary_rpc_method_handler(
            self._unary(method), request_deserializer=None, response_serializer=bytes
        )

    def _unary(self, method: Method) -> Callable[[bytes, grpc.ServicerContext], Message]:
        def serve(raw: bytes, context: grpc.ServicerContext) -> Message:
            request = _parse(method, raw, context)
            try:
                call = Call(self.clients.get(), context)
                handler = cast(Unary, method.handler)
                diverted = self.registry.in_transaction.get(method.name)
                if diverted is not None and call.transaction_id():
                    handler = diverted
                return handler(request, call)
            except Exception as exc:  # every error becomes a status; the server keeps serving
                _abort(method, request, exc, context)

        return serve

    def _streaming(
        self, method: Method
    ) -> Callable[[bytes, grpc.ServicerContext], Iterator[Message]]:
        def serve(raw: bytes, context: grpc.ServicerContext) -> Iterator[Message]:
            request = _parse(method, raw, context)
            handler = cast(Streaming, method.handler)
            try:
                answers = handler(request, Call(self.clients.get(), context))
                if not method.lazy:
                    # Built before the first is sent, so an error never arrives after part
                    # of a listing (Pachyderm's List* read in one transaction too).
                    answers = iter(list(answers))
                yield from answers
            except Exception as exc:
                _abort(method, request, exc, context)

        return serve

    def _gathering(
        self, method: Method
    ) -> Callable[[Iterator[bytes], grpc.ServicerContext], Iterator[Message]]:
        def serve(raws: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[Message]:
            handler = cast(Gathering, method.handler)
            requests = _received(method, raws)
            try:
                settled = handler(requests, Call(self.clients.get(), context))
            except Exception as exc:
                _abort(method, None, exc, context)
            # grpcio's server reads a client that cancels right after its last message as a
            # clean end of stream, and sees the cancellation a moment later (100s of µs), so
            # `is_active()` cannot tell. Sending the answer can: a send fails on a stream the
            # client has reset, and grpcio then never resumes this generator, so the effect
            # (the commit's changes) happens only for a client that is still there. The
            # client's call returns only with the status, after the effect, ok or not.
            yield settled.answer
            try:
                settled.effect()
            except Exception as exc:
                _abort(method, None, exc, context)

        return serve


def abort(context: grpc.ServicerContext, code: grpc.StatusCode, text: str) -> NoReturn:
    """End the call with a status (grpcio's `abort` raises; mypy cannot see that)."""
    context.abort(code, text)
    raise AssertionError("grpc's abort returned")


def _refusal(answer: status.Status) -> Callable[[bytes, grpc.ServicerContext], Message]:
    def serve(raw: bytes, context: grpc.ServicerContext) -> Message:
        abort(context, answer.code, answer.message)

    return serve


def _parse(method: Method, raw: bytes, context: grpc.ServicerContext) -> Message:
    try:
        return _parse_one(method, raw)
    except status.Status as refused:
        abort(context, refused.code, refused.message)


def _received(method: Method, raws: Iterator[bytes]) -> Iterator[Message]:
    """A client stream's messages, parsed; a client that cancels mid-stream is CANCELLED
    (grpcio raises a bare RpcError there), not a bug in the server."""
    try:
        for raw in raws:
            request = None
            if method.fast_parse is not None and len(raw) <= MAX_MESSAGE_BYTES:
                request = method.fast_parse(raw)
            if request is None:
                request = _parse_small(method, raw) if len(raw) <= SMALL_BYTES else None
            yield _parse_one(method, raw) if request is None else request
    except grpc.RpcError:
        raise status.Status(grpc.StatusCode.CANCELLED, "the client cancelled the call") from None


# The SDK sends every file as its own ModifyFile stream, each opening with the same
# set_commit, whose parse (nested messages, in betterproto) costs more than storing a small
# file. Small messages of client streams are parsed once and shared: handlers of gathered
# requests only read them.
SMALL_BYTES = 512


@functools.lru_cache(maxsize=1024)
def _parse_small(method: Method, raw: bytes) -> Message:
    return _parse_one(method, raw)


def _parse_one(method: Method, raw: bytes) -> Message:
    """One message of a client stream; one that does not parse ends the call."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise status.Status(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"grpc: received message larger than max ({len(raw)} vs. {MAX_MESSAGE_BYTES})",
        )
    what = f"invalid {method.request.__name__}"
    try:
        wire.check(method.request, raw)
        return method.request().parse(raw)
    except wire.Malformed as exc:
        raise status.invalid(f"{what}: it does not parse ({exc})") from None
    except Exception as exc:
        raise status.invalid(f"{what}: it does not parse ({type(exc).__name__})") from None


def _abort(
    method: Method, request: Message, exc: Exception, context: grpc.ServicerContext
) -> NoReturn:
    code, text = _status_of(method, request, exc)
    abort(context, code, text)


def _status_of(method: Method, request: Message, exc: Exception) -> tuple[grpc.StatusCode, str]:
    subject = status.NONE
    if method.subject is not None and request is not None:
        try:
            subject = method.subject(request)
        except Exception:  # a request too odd to name: keep pachlite's own text
            subject = status.NONE
    code, text = status.translate(exc, subject, method.name)
    if code == grpc.StatusCode.INTERNAL:
        log.error("%s failed", method.name, exc_info=exc)
    else:
        log.debug("%s: %s %s", method.name, code.name, text)
    return code, text
