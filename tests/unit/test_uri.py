import pytest

from pachlite.errors import InvalidArgument
from pachlite.uri import CommitRef, parse_branch_ref, parse_commit_ref, parse_file_ref

ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("images", CommitRef("images")),
        ("images@master", CommitRef("images", branch="master")),
        (f"images@{ID}", CommitRef("images", commit=ID)),
        (f"images@master={ID}", CommitRef("images", branch="master", commit=ID)),
        ("images@master^", CommitRef("images", branch="master", ancestors=1)),
        ("images@master^3", CommitRef("images", branch="master", ancestors=3)),
        ("images@master~2", CommitRef("images", branch="master", ancestors=2)),
        ("images@master^^", CommitRef("images", branch="master", ancestors=2)),
        ("images@master.1", CommitRef("images", branch="master", nth=1)),
        ("images@master.4^", CommitRef("images", branch="master", nth=4, ancestors=1)),
        (f"images@{ID}^2", CommitRef("images", commit=ID, ancestors=2)),
    ],
)
def test_commit_refs(text: str, expected: CommitRef) -> None:
    assert parse_commit_ref(text) == expected


def test_a_missing_ref_takes_the_default_branch() -> None:
    assert parse_commit_ref("images", default_branch="master").branch == "master"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@master",
        "images@",
        "im ages@master",
        "images@mas ter",
        f"images@x={ID[:5]}",
        "images@master.0",
        f"images@{ID}.2",
        "images@master^.2",
    ],
)
def test_bad_commit_refs(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_commit_ref(text)


def test_file_refs() -> None:
    ref = parse_file_ref("images@master:/a/b.png")
    assert ref.commit == CommitRef("images", branch="master")
    assert ref.path == "/a/b.png"
    assert parse_file_ref("images:/x").commit.branch == "master"
    assert parse_file_ref("images@dev").path == ""


def test_branch_refs() -> None:
    assert parse_branch_ref("images@dev") == ("images", "dev")
    for bad in ["images", f"images@{ID}", "images@dev^"]:
        with pytest.raises(InvalidArgument):
            parse_branch_ref(bad)


def test_refs_render_back_to_the_grammar() -> None:
    for text in ["images@master", f"images@{ID}", f"images@dev={ID}", "images@master.2"]:
        assert str(parse_commit_ref(text)) == text


@pytest.mark.parametrize(
    ("text", "project", "repo"),
    [
        ("images@master", "default", "images"),
        ("images@master", "vision", "vision/images"),
        ("vision/images@master", "default", "vision/images"),
        ("default/images@master", "vision", "images"),  # `default` keys are bare names
        ("other/images@master", "vision", "other/images"),
    ],
)
def test_a_repo_is_read_in_its_project(text: str, project: str, repo: str) -> None:
    assert parse_commit_ref(text, project=project) == CommitRef(repo, branch="master")
    assert parse_file_ref(f"{text}:/a.txt", project=project).commit.repo == repo


@pytest.mark.parametrize("text", ["a/b/c@master", "/images@master", "vi sion/images", "p/"])
def test_bad_project_refs(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_commit_ref(text)
