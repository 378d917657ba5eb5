"""The list of unused members and the counters (pure: no files)."""

from __future__ import annotations

import json

import pytest

from steps.data.rejects import (
    IGNORED,
    REJECTED,
    STREAM,
    WAREHOUSE,
    Unused,
    dump_entries,
    parse_entries,
    sample_hint,
    summarise,
    why_ignored,
)

ENTRIES = [
    Unused(WAREHOUSE, REJECTED, "mask missing", ("images/Bengal_1.jpg",), "Bengal_1"),
    Unused(
        STREAM, IGNORED, why_ignored("images/._Bengal_2.jpg"), ("src.zip:images/._Bengal_2.jpg",)
    ),
    Unused(STREAM, REJECTED, "'..' in archive path", ("src.tar:../x.jpg",)),
]


def test_entries_round_trip_with_the_spouts_first() -> None:
    text = dump_entries(ENTRIES)
    assert [e["stage"] for e in json.loads(text)] == [STREAM, STREAM, WAREHOUSE]
    assert sorted(parse_entries(text), key=repr) == sorted(ENTRIES, key=repr)
    assert summarise(3, 1, ENTRIES) == {"kept": 3, "repaired": 1, "rejected": 2, "ignored": 1}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{", "not JSON"),
        ('{"stage": "stream"}', "not a list"),
        ('[{"stage": "stream"}]', "exactly the fields"),
        (
            '[{"stage": "elsewhere", "outcome": "ignored", "reason": "", "members": [],'
            ' "sample": null}]',
            "wrong kind",
        ),
        (
            '[{"stage": "stream", "outcome": "ignored", "reason": "", "members": [1],'
            ' "sample": null}]',
            "wrong kind",
        ),
    ],
)
def test_a_malformed_list_says_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_entries(text)


def test_entries_go_with_the_sample_they_are_named_after() -> None:
    assert [sample_hint(e) for e in ENTRIES] == ["Bengal_1", "Bengal_2", "x"]
    xml = Unused(STREAM, IGNORED, "", ("annotations.tar.gz:annotations/xmls/Bengal.3.xml",))
    assert sample_hint(xml) == "Bengal.3"


def test_reasons_for_what_is_not_a_sample() -> None:
    assert "AppleDouble" in why_ignored("__MACOSX/images/Bengal_1.jpg")
    assert "Finder" in why_ignored("oxford/.DS_Store")
    assert "archive inside an archive" in why_ignored("images/more.zip")
    assert "not part of a sample" in why_ignored("images/x.mat")
