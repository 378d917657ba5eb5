import pytest

from pachlite.errors import InvalidArgument, InvalidPath
from pachlite.paths import clean_path, validate_file_path, validate_name, validate_path


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("", "/"), ("/", "/"), ("a", "/a"), ("/a/", "/a"), ("//a//b/", "/a/b"), ("a b/c", "/a b/c")],
)
def test_clean_path(raw: str, clean: str) -> None:
    assert clean_path(raw) == clean


@pytest.mark.parametrize("char", list("*?[]{}!()@+^"))
def test_glob_and_uri_characters_are_refused(char: str) -> None:
    with pytest.raises(InvalidPath, match="not allowed"):
        validate_path(f"/dir/file{char}.txt")


@pytest.mark.parametrize("path", ["/a/../b", "/./a", "..", "/a/."])
def test_dot_elements_are_refused(path: str) -> None:
    with pytest.raises(InvalidPath, match="elements are not allowed"):
        validate_path(path)


@pytest.mark.parametrize("path", ["/caf\u00e9", "/tab\there", "/new\nline", "/\x7f"])
def test_non_printable_ascii_is_refused(path: str) -> None:
    with pytest.raises(InvalidPath, match="printable ASCII"):
        validate_path(path)


def test_spaces_quotes_and_semicolons_are_fine() -> None:
    assert validate_path("/my file; 'quoted' \"x\".txt") == "/my file; 'quoted' \"x\".txt"


def test_a_file_path_is_not_the_root() -> None:
    with pytest.raises(InvalidPath, match="repo root"):
        validate_file_path("/")


@pytest.mark.parametrize("name", ["images", "a_b-c", "A1"])
def test_valid_names(name: str) -> None:
    assert validate_name("repo", name) == name


@pytest.mark.parametrize("name", ["", "a.b", "a/b", "a b", "é", "x" * 64])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_name("repo", name)


def test_branch_name_cannot_look_like_a_commit_id() -> None:
    with pytest.raises(InvalidArgument, match="commit ID"):
        validate_name("branch", "0123456789abcdef0123456789abcdef")


def test_names_longer_than_255_bytes_are_refused() -> None:
    assert validate_path("/" + "a" * 255) == "/" + "a" * 255
    with pytest.raises(InvalidPath, match="256 bytes long"):
        validate_path("/dir/" + "a" * 256 + "/f")
    with pytest.raises(InvalidPath, match="at most 255 bytes"):
        validate_path("/" + "b" * 300)
