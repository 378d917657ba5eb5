"""pachctl's key=value notation for metadata: Pachyderm's examples read as it reads them, and
whatever `inspect` prints reads back as the same metadata."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pachlite.cli.keyvalues import parse_many, parse_one, render
from pachlite.errors import InvalidArgument


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("key=value", ("key", "value")),
        ('"key with space"="value with space"', ("key with space", "value with space")),
        ("""'has "double"'="has 'single'\"""", ('has "double"', "has 'single'")),
        ("\";\"=';'", (";", ";")),
        ('"=\\""="="', ('="', "=")),
        ("k=", ("k", "")),
        ("k=;", ("k", "")),
        ("  k  =  v  ", ("k", "v")),
        ('"\\u2641"="\\x0a"', ("\u2641", "\n")),
        ("💯=100", ("💯", "100")),
    ],
)
def test_one_pair(text: str, pair: tuple[str, str]) -> None:
    assert parse_one(text) == pair


@pytest.mark.parametrize("text", ["", "=", "=;", "k", "a b=c", "k=v;j=w", "{}", '"open=1', "'k=v"])
def test_what_is_not_one_pair(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_one(text)


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("", {}),
        ("   ", {}),
        ("{ }", {}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("a=1; b=2;", {"a": "1", "b": "2"}),
        ('{"a": "1", "b c": "2"}', {"a": "1", "b c": "2"}),
    ],
)
def test_many_pairs(text: str, pairs: dict[str, str]) -> None:
    assert parse_many(text) == pairs


@pytest.mark.parametrize("text", ["a=1;a=2", '{"a": "1", "a": "2"}', '{"a": 1}', "[1]", "a=1 b=2"])
def test_what_is_not_many_pairs(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_many(text)


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=5))
def test_what_inspect_prints_reads_back(metadata: dict[str, str]) -> None:
    printed = render(metadata)
    assert parse_many("" if printed == "-" else printed) == metadata


def test_a_key_starting_with_a_brace_is_quoted_to_read_back() -> None:
    assert render({"{k": "v"}) == "'{k'=v"
    assert parse_many(render({"{k": "v", "a": "{"})) == {"{k": "v", "a": "{"}
