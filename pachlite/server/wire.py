"""A request's bytes checked against its message's declared fields before betterproto reads
them.

betterproto (the SDK's protobuf library, which this server parses with) takes bytes that
Go's protobuf refuses or sets aside: a length running past the end is cut short, a field
sent with another wire type than its declared one lands in the message as the wrong Python
type (an int where a message belongs), and a group is not skipped but read as fields. A
handler then fails on an AttributeError, an INTERNAL. Checked first, each of these is a
malformed request: INVALID_ARGUMENT with the reason (docs/semantics.md, "Malformed
messages"). Unknown fields are kept, as every protobuf library keeps them.

The scan walks positions in a memoryview, so a 19 MiB AddFile is not copied to check it.
"""

from __future__ import annotations

from typing import Any

import betterproto

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
MAX_DEPTH = 100  # message nesting; betterproto's own reading recurses
_FIXED_BYTES = {FIXED64: 8, FIXED32: 4}


class Malformed(ValueError):
    """Bytes that are not a valid encoding of the message; says where."""


def check(cls: type, raw: bytes) -> None:
    """Raise Malformed unless `raw` is a well-formed `cls` (a betterproto message class)."""
    _check(cls, memoryview(raw), 0)


def _check(cls: type, data: memoryview, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Malformed(f"messages nested more than {MAX_DEPTH} deep")
    meta = _meta(cls)
    for number, wire, start, stop in fields(data):
        name = meta.field_name_by_number.get(number)
        if name is None:
            continue  # an unknown field: kept, as by every protobuf library
        proto_type = meta.meta_by_field_name[name].proto_type
        if wire not in _wire_types(proto_type):
            raise Malformed(f"field {number} ({name}) has wire type {wire}, not a {proto_type}'s")
        if proto_type in (betterproto.TYPE_MESSAGE, betterproto.TYPE_MAP):
            nested = meta.cls_by_field[name]
            if isinstance(nested, type) and issubclass(nested, betterproto.Message):
                _check(nested, data[start:stop], depth + 1)


def fields(data: memoryview) -> list[tuple[int, int, int, int]]:
    """Each field's number, wire type, and where its value starts and stops in `data`;
    Malformed where the bytes are not a sequence of fields."""
    found = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise Malformed("a field numbered 0")
        if wire == VARINT:
            start = pos
            _, pos = _varint(data, pos)
        elif wire == LEN:
            length, start = _varint(data, pos)
            pos = start + length
        elif wire in _FIXED_BYTES:
            start, pos = pos, pos + _FIXED_BYTES[wire]
        else:  # 3 and 4 are groups (deprecated, never in Pachyderm's messages); 6, 7 nothing
            raise Malformed(f"field {number} has wire type {wire}, which is not served")
        if pos > end:
            raise Malformed(f"field {number} runs past the end of the message")
        found.append((number, wire, start, pos))
    return found


def _wire_types(proto_type: str) -> tuple[int, ...]:
    packed = (LEN,) if proto_type in betterproto.PACKED_TYPES else ()
    if proto_type in betterproto.WIRE_VARINT_TYPES:
        return (VARINT, *packed)
    if proto_type in betterproto.WIRE_FIXED_64_TYPES:
        return (FIXED64, *packed)
    if proto_type in betterproto.WIRE_FIXED_32_TYPES:
        return (FIXED32, *packed)
    return (LEN,)


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if pos >= len(data):
            raise Malformed("a number runs past the end of the message")
        byte = data[pos]
        result |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise Malformed("a number longer than 10 bytes")


def _meta(cls: type) -> Any:
    """betterproto's field tables for `cls`, made once per class as betterproto makes them."""
    meta = getattr(cls, "_betterproto_meta", None)
    if meta is None:
        meta = betterproto.ProtoClassMetadata(cls)
        cls._betterproto_meta = meta  # type: ignore[attr-defined]
    return meta
