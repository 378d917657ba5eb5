"""Error translation and request naming, without a server."""

from __future__ import annotations

import grpc
import pytest
from pachyderm_sdk.api import pfs

from pachlite import errors
from pachlite.server import refs, status


def test_pachlite_errors_get_pachyderms_codes_and_texts() -> None:
    subject = refs.commit_subject(pfs.Commit.from_uri("images@master"))
    cases = [
        (errors.RepoNotFound("repo 'images' not found"), grpc.StatusCode.NOT_FOUND,
         "repo default/images not found"),
        (errors.BranchNotFound("x"), grpc.StatusCode.NOT_FOUND,
         'branch "master" not found in repo default/images'),
        (errors.CommitNotFound("x"), grpc.StatusCode.NOT_FOUND,
         "commit default/images@master not found"),
        (errors.InvalidArgument("bad name", "use letters"), grpc.StatusCode.INVALID_ARGUMENT,
         "bad name; use letters"),
        (errors.Conflict("already finished"), grpc.StatusCode.UNKNOWN, "already finished"),
        (errors.DiskFull("no space"), grpc.StatusCode.RESOURCE_EXHAUSTED, "no space"),
    ]  # fmt: skip
    for exc, code, text in cases:
        assert status.translate(exc, subject, "/pfs_v2.API/X") == (code, text)


def test_an_unexpected_exception_is_internal_in_one_line() -> None:
    code, text = status.translate(ValueError("bad\nthing"), status.NONE, "/pfs_v2.API/X")
    assert code == grpc.StatusCode.INTERNAL
    assert text == "internal error in /pfs_v2.API/X: ValueError: bad thing"


@pytest.mark.parametrize(
    ("uri", "ref", "shown"),
    [
        ("images@master", "images@master", "default/images@master"),
        ("images@master^2", "images@master^2", "default/images@master^2"),
        ("images@" + "a" * 32, "images@" + "a" * 32, "default/images@" + "a" * 32),
        ("images@master=" + "b" * 32, "images@" + "b" * 32, "default/images@" + "b" * 32),
    ],
)
def test_commit_references_read_as_pachd_reads_them(uri: str, ref: str, shown: str) -> None:
    commit = pfs.Commit.from_uri(uri)
    assert refs.commit_ref(commit) == ref
    assert refs.shown_commit(commit) == shown


def test_a_repo_outside_default_is_named_with_its_project() -> None:
    assert refs.repo_name(pfs.Repo(name="x", project=pfs.Project(name="other"))) == "other/x"
    assert refs.repo_name(pfs.Repo(name="x", project=pfs.Project(name="default"))) == "x"
    assert refs.repo_name(pfs.Repo(name="x")) == "x"
    commit = pfs.Commit.from_uri("other/x@master")
    assert refs.commit_ref(commit) == "other/x@master"
    assert refs.shown_commit(commit) == "other/x@master"
