"""Glob patterns with Pachyderm's semantics (ohmyglob, §2.2), compiled to regexes.

`*` matches within one path element, `**` crosses '/', `?` is one character, `[abc]`/`[!abc]`
classes, `{a,b}` alternatives, extglob `@( ) *( ) +( ) ?( ) !( )`, and plain `( )` capture
groups numbered by their opening parenthesis (used for join_on/group_by keys as `$1`, `$2`).
Patterns match whole paths, files and directories alike, without a trailing '/'.
"""

from __future__ import annotations

import re

from pachlite.errors import InvalidArgument
from pachlite.lazyclass import dataclass

_EXTGLOB = {"@": "", "*": "*", "+": "+", "?": "?"}
_TEMPLATE_VAR = re.compile(r"\$(\d+)|\$\{(\d+)\}")


@dataclass(frozen=True)
class Glob:
    pattern: str  # cleaned: leading '/', no trailing '/'
    regex: re.Pattern[str]

    @property
    def groups(self) -> int:
        return self.regex.groups

    def match(self, path: str) -> re.Match[str] | None:
        return self.regex.fullmatch(path)


def clean_glob(pattern: str) -> str:
    """Pachyderm's glob cleaning: '' -> '/', 'abc' -> '/abc', trailing '/' removed."""
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    while len(pattern) > 1 and pattern.endswith("/"):
        pattern = pattern[:-1]
    return pattern


def compile_glob(pattern: str) -> Glob:
    """Compile a glob; a malformed one raises InvalidArgument saying where it breaks."""
    cleaned = clean_glob(pattern)
    body, end = _compile(cleaned, 0, cleaned, closing=None)
    if end != len(cleaned):  # pragma: no cover - _compile consumes everything at top level
        raise InvalidArgument(f"invalid glob {pattern!r}")
    try:
        return Glob(cleaned, re.compile(body, re.DOTALL))
    except re.error as exc:
        raise InvalidArgument(f"invalid glob {pattern!r}: {exc}") from None


def _compile(text: str, i: int, whole: str, closing: str | None) -> tuple[str, int]:
    """Translate text[i:] up to an unmatched `closing` char; returns (regex, index after)."""
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if closing and ch == closing:
            return "".join(out), i + 1
        if (closing == ")" and ch == "|") or (closing == "}" and ch == ","):
            out.append("|")
            i += 1
        elif ch in "!@*+?" and i + 1 < len(text) and text[i + 1] == "(":
            inner, i = _compile(text, i + 2, whole, ")")
            out.append(_extglob(ch, inner))
        elif ch == "*":
            if text.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*")
                i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            cls, i = _char_class(text, i, whole)
            out.append(cls)
        elif ch == "{":
            inner, i = _compile(text, i + 1, whole, "}")
            out.append(f"(?:{inner})")
        elif ch == "(":
            inner, i = _compile(text, i + 1, whole, ")")
            out.append(f"({inner})")
        elif ch in ")}]":
            raise InvalidArgument(
                f"invalid glob {whole!r}: unmatched {ch!r} at position {i}",
                "escape it with '\\' or balance the brackets",
            )
        elif ch == "\\":
            if i + 1 >= len(text):
                raise InvalidArgument(f"invalid glob {whole!r}: trailing '\\'")
            out.append(re.escape(text[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    if closing:
        raise InvalidArgument(
            f"invalid glob {whole!r}: missing {closing!r}", "close every bracket you open"
        )
    return "".join(out), i


def _extglob(kind: str, inner: str) -> str:
    if kind == "!":
        # Anything within one path element that is not exactly one of the alternatives.
        return f"(?:(?!(?:{inner})(?:/|$))[^/]*)"
    return f"(?:{inner}){_EXTGLOB[kind]}"


def _char_class(text: str, i: int, whole: str) -> tuple[str, int]:
    end = text.find("]", i + 2 if text.startswith("[!", i) or text.startswith("[]", i) else i + 1)
    if end == -1:
        raise InvalidArgument(f"invalid glob {whole!r}: '[' without ']'", "close the class")
    body = text[i + 1 : end]
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    if not body:
        raise InvalidArgument(f"invalid glob {whole!r}: empty character class")
    escaped = "".join("\\" + c if c in "\\^[]" else c for c in body)
    return (f"[^/{escaped}]" if negate else f"[{escaped}]"), end + 1


def expand_template(match: re.Match[str], template: str) -> str:
    """Expand `$1`/`${1}` in a join_on/group_by template with the glob's capture groups."""

    def group(m: re.Match[str]) -> str:
        index = int(m.group(1) or m.group(2))
        if index > (match.re.groups or 0):
            raise InvalidArgument(
                f"template {template!r} uses ${index} but the glob has "
                f"{match.re.groups} capture group(s)",
                "add parentheses around the part of the glob you want as a key",
            )
        return match.group(index) or ""

    return _TEMPLATE_VAR.sub(group, template)
