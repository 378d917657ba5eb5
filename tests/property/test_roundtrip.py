"""Hypothesis round trips: what goes in comes out; glob file agrees with a brute-force matcher."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pachlite import Client
from pachlite.globpattern import clean_glob

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

name_chars = st.sampled_from(list("abcxyz019_-. "))
names = st.text(name_chars, min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
paths = st.lists(names, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


def consistent(files: list[str]) -> list[str]:
    """Drop paths that would be both a file and a directory."""
    kept: list[str] = []
    for path in files:
        if any(k == path or k.startswith(path + "/") or path.startswith(k + "/") for k in kept):
            continue
        kept.append(path)
    return kept


@SETTINGS
@given(st.dictionaries(paths, st.binary(max_size=2048), min_size=1, max_size=12))
def test_put_then_get_returns_the_same_bytes(contents: dict[str, bytes]) -> None:
    files = {p: contents[p] for p in consistent(list(contents))}
    with tempfile.TemporaryDirectory() as tmp, Client(Path(tmp) / "store") as client:
        client.create_repo("r")
        with client.commit("r@master"):
            for path, data in files.items():
                client.put_file_bytes(f"r@master:{path}", data)
        for path, data in files.items():
            assert client.get_file(f"r@master:{path}") == data
            assert b"".join(client.iter_file(f"r@master:{path}")) == data
        listed = {p: s for p, s, _ in client.walk_file("r@master:/")}
        assert listed == {p: len(d) for p, d in files.items()}
        assert client.fsck().ok


# -- glob ------------------------------------------------------------------------------------


def brute_match(pattern: str, path: str) -> bool:
    """A direct backtracking matcher for * ** ? [..] [!..] {a,b}; shares no code with pachlite."""
    if "{" in pattern:
        i = pattern.index("{")
        j = pattern.index("}", i)
        return any(
            brute_match(pattern[:i] + alt + pattern[j + 1 :], path)
            for alt in pattern[i + 1 : j].split(",")
        )
    return _match(pattern, 0, path, 0)


def _match(p: str, i: int, s: str, j: int) -> bool:
    if i == len(p):
        return j == len(s)
    if p.startswith("**", i):
        return any(_match(p, i + 2, s, k) for k in range(j, len(s) + 1))
    if p[i] == "*":
        k = j
        while True:
            if _match(p, i + 1, s, k):
                return True
            if k == len(s) or s[k] == "/":
                return False
            k += 1
    if j == len(s):
        return False
    if p[i] == "?":
        return s[j] != "/" and _match(p, i + 1, s, j + 1)
    if p[i] == "[":
        negate = p[i + 1] == "!"
        start = i + 2 if negate else i + 1
        close = p.index("]", start + 1)
        body = p[start:close]
        ok = (s[j] not in body and s[j] != "/") if negate else s[j] in body
        return ok and _match(p, close + 1, s, j + 1)
    return s[j] == p[i] and _match(p, i + 1, s, j + 1)


glob_tokens = st.sampled_from(
    ["/", "*", "**", "?", "a", "b", "x", ".", "[ab]", "[!a]", "{a,x}", "{b,}"]
)
globs = st.lists(glob_tokens, min_size=1, max_size=6).map(lambda t: "/" + "".join(t))
tree_names = st.text(st.sampled_from(list("abx.")), min_size=1, max_size=3).filter(
    lambda n: n not in (".", "..")
)
tree_paths = st.lists(tree_names, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))


@SETTINGS
@given(st.lists(tree_paths, min_size=1, max_size=10), st.lists(globs, min_size=1, max_size=5))
def test_glob_file_agrees_with_brute_force(files: list[str], patterns: list[str]) -> None:
    files = consistent(files)
    every_path = set(files)
    for f in files:
        parts = f.split("/")[1:]
        every_path |= {"/" + "/".join(parts[:n]) for n in range(1, len(parts))}
    with tempfile.TemporaryDirectory() as tmp, Client(Path(tmp) / "store") as client:
        client.create_repo("r")
        with client.commit("r@master"):
            for path in files:
                client.put_file_bytes(f"r@master:{path}", b"x")
        for pattern in patterns:
            cleaned = clean_glob(pattern)
            got = [i.path.rstrip("/") or "/" for i in client.glob_file(f"r@master:{pattern}")]
            expected = sorted(p for p in every_path if brute_match(cleaned, p))
            if cleaned == "/":
                expected = ["/"]
            assert sorted(got) == expected, pattern
