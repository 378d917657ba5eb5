"""Calls made with a raw grpc channel, no serializer: any bytes to any method of the server,
as a client built on another protobuf library (or a broken one) might send them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc


@dataclass(frozen=True)
class Served:
    """A method the server serves and how it is called."""

    name: str  # "/pfs_v2.API/InspectRepo"
    kind: str  # "unary", "stream" (answers streamed) or "gather" (requests streamed)
    request: str  # the request message's name
    first_field: tuple[int, bool] | None  # its first field: number, and whether length-delimited


def served_methods() -> list[Served]:
    """Every method pachlite's server registers, as it registers them."""
    from pachlite.server.services import registry

    def kind(gathering: bool, streaming: bool) -> str:
        return "gather" if gathering else "stream" if streaming else "unary"

    def first_field(request: type) -> tuple[int, bool] | None:
        fields = request()._betterproto.meta_by_field_name.values()
        first = min(fields, key=lambda f: f.number, default=None)
        if first is None:
            return None
        return first.number, first.proto_type in ("string", "bytes", "message", "map")

    return [
        Served(m.name, kind(m.gathering, m.streaming), m.request.__name__, first_field(m.request))
        for m in sorted(registry().methods.values(), key=lambda m: m.name)
    ]


def malformed(method: Served) -> dict[str, bytes]:
    """Bytes no protobuf library reads as `method`'s request, by what is wrong with them."""
    cases = {
        "not protobuf": b"\xff\xff\xff\xff",
        "a length past the end": b"\x0a\x64abc",
        "a number past the end": b"\x08\xff",
        "field number 0": b"\x00\x01",
        "wire type 7": b"\x0f\x01",
        "a group": b"\x0b\x0c",
    }
    if method.first_field is not None:
        number, delimited = method.first_field
        # A number where a message or string belongs, or 4 fixed bytes where a number does.
        cases["the wrong wire type"] = (
            bytes([number << 3 | 0, 1]) if delimited else bytes([number << 3 | 5]) + b"\x01" * 4
        )
    return cases


def raw_call(
    address: str, method: Served, *payloads: bytes, timeout: float = 20
) -> grpc.RpcError | None:
    """Send `payloads` (one for unary and server-streaming calls) as they are; the error the
    server answers with, or None when it answered."""
    with grpc.insecure_channel(address) as channel:
        try:
            if method.kind == "gather":
                channel.stream_unary(method.name)(iter(payloads), timeout=timeout)
            elif method.kind == "stream":
                for _ in channel.unary_stream(method.name)(payloads[0], timeout=timeout):
                    pass
            else:
                channel.unary_unary(method.name)(payloads[0], timeout=timeout)
        except grpc.RpcError as exc:
            return exc
    return None


def chunks(total: int, size: int) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"\x00" * min(size, total - start)
