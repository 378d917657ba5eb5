"""The glob table of docs/semantics.md §2.2 plus extglob and capture groups."""

import pytest

from pachlite.errors import InvalidArgument
from pachlite.globpattern import clean_glob, compile_glob, expand_template

TREE = [
    "/a.txt",
    "/b.csv",
    "/dir1",
    "/dir1/c.txt",
    "/dir2",
    "/dir2/dir3",
    "/dir2/dir3/d.txt",
]


def matches(pattern: str) -> list[str]:
    glob = compile_glob(pattern)
    return [p for p in TREE if glob.match(p)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/*", ["/a.txt", "/b.csv", "/dir1", "/dir2"]),
        ("/*/*", ["/dir1/c.txt", "/dir2/dir3"]),
        ("/**", TREE),
        ("/**.txt", ["/a.txt", "/dir1/c.txt", "/dir2/dir3/d.txt"]),
        ("/*.{txt,csv}", ["/a.txt", "/b.csv"]),
        ("/dir?", ["/dir1", "/dir2"]),
        ("/dir[1]", ["/dir1"]),
        ("/dir[!1]", ["/dir2"]),
        ("/@(a|b).*", ["/a.txt", "/b.csv"]),
        ("/!(a.txt)", ["/b.csv", "/dir1", "/dir2"]),
        ("/+(dir)[0-9]", ["/dir1", "/dir2"]),
        ("/dir1/", ["/dir1"]),
        ("dir1", ["/dir1"]),
    ],
)
def test_glob_table(pattern: str, expected: list[str]) -> None:
    assert matches(pattern) == expected


def test_root_glob_matches_only_the_root() -> None:
    glob = compile_glob("/")
    assert glob.match("/")
    assert not glob.match("/a.txt")


def test_cleaning() -> None:
    assert clean_glob("") == "/"
    assert clean_glob("abc") == "/abc"
    assert clean_glob("/abc/") == "/abc"


def test_capture_groups_feed_templates() -> None:
    glob = compile_glob("/*/(bar-(123))/*")
    match = glob.match("/foo/bar-123/ABC.txt")
    assert match is not None
    assert glob.groups == 2
    assert expand_template(match, "$1") == "bar-123"
    assert expand_template(match, "$2-${1}") == "123-bar-123"


def test_template_beyond_the_groups_is_an_error() -> None:
    match = compile_glob("/(*)").match("/a")
    assert match is not None
    with pytest.raises(InvalidArgument, match="capture group"):
        expand_template(match, "$2")


@pytest.mark.parametrize("pattern", ["/[abc", "/{a,b", "/(a", "/a)", "/a}", "/[]"])
def test_malformed_globs(pattern: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid glob"):
        compile_glob(pattern)
