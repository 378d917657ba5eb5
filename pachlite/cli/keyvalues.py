"""pachctl's key/value notation for metadata (`pachctl edit metadata --help`), read and written.

One pair is `key=value`; either side may be bare (no whitespace or `;="'`), single-quoted (no
escapes) or double-quoted (Go's escapes: `\\n`, `\\"`, `\\x0a`, `\\u2641`...); whitespace around
the parts is ignored and the value may be empty (`key=`). Several pairs are separated by `;`,
or given as a JSON object whose values are all strings. Pachyderm's grammar:
src/internal/kvparse/kvgrammar/kvgrammar.go.
"""

from __future__ import annotations

import re

from pachlite.errors import InvalidArgument

TYPE_CHECKING = False  # mypy reads it as true; `typing` is not imported at run time
if TYPE_CHECKING:
    from typing import NoReturn

# A bare word cannot start with "{": there Pachyderm's lexer starts a JSON object.
_BARE = re.compile(r"""[^;="'\s{][^;="'\s]*""")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            '"': '"', "\\": "\\"}  # fmt: skip
_HEX = {"x": 2, "u": 4}
HINT = """write key=value, 'a key'="a value", or for replace k1=v1;k2=v2 or '{"k1":"v1"}'"""


def parse_one(text: str) -> tuple[str, str]:
    """One `key=value` pair."""
    pairs = _Reader(text).pairs()
    if len(pairs) != 1:
        raise InvalidArgument(f"{text!r} is not one key=value pair", HINT)
    return pairs[0]


def parse_many(text: str) -> dict[str, str]:
    """Any number of pairs (none: an empty mapping), `;`-separated or a JSON object."""
    if not text.strip():
        return {}
    pairs = _json_pairs(text) if text.lstrip().startswith("{") else _Reader(text).pairs()
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in found:
            raise InvalidArgument(f"duplicate key {key!r} in {text!r}", "give each key once")
        found[key] = value
    return found


def render(metadata: dict[str, str]) -> str:
    """Metadata as `k=v; k2=v2` for people, quoted where a bare word would not read back."""
    return "; ".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(metadata.items())) or "-"


def _quote(text: str) -> str:
    if _BARE.fullmatch(text):
        return text
    if "'" not in text and "\n" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _is_hex(digits: str, count: int) -> bool:
    return len(digits) == count and all(c in "0123456789abcdefABCDEF" for c in digits)


def _json_pairs(text: str) -> list[tuple[str, str]]:
    import json  # only for this form

    try:
        pairs = json.loads(text, object_pairs_hook=lambda items: items)
    except ValueError as exc:
        raise InvalidArgument(f"{text!r} is not a JSON object ({exc})", HINT) from None
    if not isinstance(pairs, list) or not all(isinstance(v, str) for _, v in pairs):
        raise InvalidArgument(f"{text!r}: every value must be a JSON string", HINT)
    return [(str(k), v) for k, v in pairs]


class _Reader:
    """A cursor over `k=v;k=v`: `pairs` reads them all or raises InvalidArgument."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def pairs(self) -> list[tuple[str, str]]:
        found = []
        while True:
            key = self._string()
            if key is None:
                self._fail("expected a key")
            if not self._take("="):
                self._fail("expected '=' after the key")
            value = self._string() or ""
            found.append((key, value))
            if self._take(";"):
                if self._skip_space() == len(self.text):
                    return found  # a trailing ';' ends the list
                continue
            if self._skip_space() == len(self.text):
                return found
            self._fail("expected ';' between pairs")

    def _skip_space(self) -> int:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1
        return self.at

    def _take(self, char: str) -> bool:
        self._skip_space()
        if self.text.startswith(char, self.at):
            self.at += 1
            return True
        return False

    def _string(self) -> str | None:
        self._skip_space()
        if self._take("'"):
            end = self.text.find("'", self.at)
            if end < 0:
                self._fail("unterminated single-quoted string")
            value, self.at = self.text[self.at : end], end + 1
            return value
        if self._take('"'):
            return self._double_quoted()
        match = _BARE.match(self.text, self.at)
        if match is None:
            return None
        self.at = match.end()
        return match.group()

    def _double_quoted(self) -> str:
        out: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            self.at += 1
            if char == '"':
                return "".join(out)
            if char != "\\":
                out.append(char)
                continue
            code = self.text[self.at : self.at + 1]
            self.at += 1
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
            elif code in _HEX and _is_hex(digits := self.text[self.at : self.at + _HEX[code]],
                                          _HEX[code]):  # fmt: skip
                out.append(chr(int(digits, 16)))
                self.at += _HEX[code]
            else:
                self._fail(f"unknown escape '\\{code}'")
        self._fail("unterminated double-quoted string")

    def _fail(self, what: str) -> NoReturn:
        raise InvalidArgument(f"cannot read {self.text!r}: {what} at character {self.at + 1}", HINT)
