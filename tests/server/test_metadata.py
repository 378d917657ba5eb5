"""metadata.API EditMetadata through the real SDK: every kind, every operation, pachd's
errors, and a batch that lands whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pachyderm_sdk.api import metadata, pfs

Name = Callable[[str], str]


def add(key: str, value: str) -> dict[str, Any]:
    return {"add_key": metadata.EditAddKey(key=key, value=value)}


def set_(key: str, value: str) -> dict[str, Any]:
    return {"edit_key": metadata.EditEditKey(key=key, value=value)}


def delete(key: str) -> dict[str, Any]:
    return {"delete_key": metadata.EditDeleteKey(key=key)}


def replace(**pairs: str) -> dict[str, Any]:
    return {"replace": metadata.EditReplace(replacement=pairs)}


def on_repo(repo: pfs.Repo, op: dict[str, Any]) -> metadata.Edit:
    return metadata.Edit(repo=repo.as_picker(), **op)


def refused(sdk: Any, *edits: metadata.Edit) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        sdk.metadata.edit_metadata(edits=list(edits))
    return caught.value


@pytest.fixture
def repo(sdk: Any, name: Name) -> pfs.Repo:
    made = pfs.Repo(name=name("meta"))
    sdk.pfs.create_repo(repo=made)
    return made


@pytest.fixture
def commit(sdk: Any, repo: pfs.Repo) -> pfs.Commit:
    with sdk.pfs.commit(branch=pfs.Branch(repo=repo, name="master")) as made:
        pass
    return made


def repo_metadata(sdk: Any, repo: pfs.Repo) -> dict[str, str]:
    return dict(sdk.pfs.inspect_repo(repo=repo).metadata)


def test_a_repo_key_added_is_what_inspect_repo_and_list_repo_show(sdk: Any, repo: pfs.Repo) -> None:
    sdk.metadata.edit_metadata(edits=[on_repo(repo, add("owner", "vision"))])
    assert repo_metadata(sdk, repo) == {"owner": "vision"}
    listed = {info.repo.name: dict(info.metadata) for info in sdk.pfs.list_repo()}
    assert listed[repo.name] == {"owner": "vision"}


def test_each_operation_on_a_repo(sdk: Any, repo: pfs.Repo) -> None:
    edit = sdk.metadata.edit_metadata
    edit(edits=[on_repo(repo, add("a", "1")), on_repo(repo, add("b", "2"))])
    edit(edits=[on_repo(repo, set_("a", "one")), on_repo(repo, set_("c", "3"))])
    assert repo_metadata(sdk, repo) == {"a": "one", "b": "2", "c": "3"}
    edit(edits=[on_repo(repo, delete("b")), on_repo(repo, delete("never-there"))])
    assert repo_metadata(sdk, repo) == {"a": "one", "c": "3"}
    edit(edits=[on_repo(repo, replace(x="y", empty=""))])
    assert repo_metadata(sdk, repo) == {"x": "y", "empty": ""}
    edit(edits=[on_repo(repo, replace())])
    assert repo_metadata(sdk, repo) == {}


def test_a_branch_and_a_commit_each_have_their_own(
    sdk: Any, repo: pfs.Repo, commit: pfs.Commit
) -> None:
    branch = pfs.Branch(repo=repo, name="master")
    sdk.metadata.edit_metadata(
        edits=[
            metadata.Edit(branch=branch.as_picker(), **add("kind", "branch")),
            metadata.Edit(commit=commit.as_picker(), **add("kind", "commit")),
        ]
    )
    assert sdk.pfs.inspect_branch(branch=branch).metadata == {"kind": "branch"}
    assert sdk.pfs.inspect_commit(commit=commit).metadata == {"kind": "commit"}
    assert repo_metadata(sdk, repo) == {}
    listed = list(sdk.pfs.list_commit(repo=repo))
    assert [dict(c.metadata) for c in listed] == [{"kind": "commit"}]
    assert [dict(b.metadata) for b in sdk.pfs.list_branch(repo=repo)] == [{"kind": "branch"}]


def test_the_commit_pickers_find_the_commit_they_name(
    sdk: Any, repo: pfs.Repo, commit: pfs.Commit
) -> None:
    branch = pfs.Branch(repo=repo, name="master")
    with sdk.pfs.commit(branch=branch) as second:
        pass
    by_id = pfs.CommitPicker.from_uri(f"{repo.name}@{commit.id}")
    head = pfs.CommitPicker(branch_head=branch.as_picker())
    parent = pfs.CommitPicker(ancestor=pfs.CommitPickerAncestorOf(offset=1, start=head))
    first = pfs.CommitPicker(
        branch_root=pfs.CommitPickerBranchRoot(offset=0, branch=branch.as_picker())
    )
    sdk.metadata.edit_metadata(
        edits=[
            metadata.Edit(commit=by_id, **add("by", "id")),
            metadata.Edit(commit=head, **add("by", "head")),
            metadata.Edit(commit=parent, **add("parent", "yes")),
            metadata.Edit(commit=first, **add("root", "yes")),
        ]
    )
    assert sdk.pfs.inspect_commit(commit=commit).metadata == {
        "by": "id",
        "parent": "yes",
        "root": "yes",
    }
    assert sdk.pfs.inspect_commit(commit=second).metadata == {"by": "head"}


def test_the_default_project_keeps_metadata(sdk: Any, name: Name) -> None:
    key = name("project-key")
    project = pfs.Project(name="default")
    sdk.metadata.edit_metadata(edits=[metadata.Edit(project=project.as_picker(), **add(key, "v"))])
    assert sdk.pfs.inspect_project(project=project).metadata[key] == "v"
    sdk.metadata.edit_metadata(edits=[metadata.Edit(project=project.as_picker(), **delete(key))])
    assert key not in sdk.pfs.inspect_project(project=project).metadata


def test_adding_a_key_that_exists_is_failed_precondition_and_names_the_repo(
    sdk: Any, repo: pfs.Repo
) -> None:
    sdk.metadata.edit_metadata(edits=[on_repo(repo, add("k", "1"))])
    error = refused(sdk, on_repo(repo, add("k", "2")))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == (
        f'apply edits: edit #0: edit repo "default/{repo.name}.user": add_key target key "k" '
        "already exists; use edit_key instead"
    )
    assert repo_metadata(sdk, repo) == {"k": "1"}


def test_an_existing_commit_key_is_named_by_the_commit_id(
    sdk: Any, repo: pfs.Repo, commit: pfs.Commit
) -> None:
    picker = pfs.CommitPicker.from_uri(f"{repo.name}@master")
    sdk.metadata.edit_metadata(edits=[metadata.Edit(commit=picker, **add("k", "1"))])
    error = refused(sdk, metadata.Edit(commit=picker, **add("k", "1")))
    assert f'edit commit "default/{repo.name}.user@{commit.id}"' in error.details()


def test_what_does_not_exist_is_unknown_with_pachds_words(sdk: Any, repo: pfs.Repo) -> None:
    missing = refused(sdk, on_repo(pfs.Repo(name="no-such-repo"), add("k", "v")))
    assert missing.code() == grpc.StatusCode.UNKNOWN  # pachd wraps NOT_FOUND in UNKNOWN
    assert (
        missing.details() == "apply edits: edit #0: pick repo: repo default/no-such-repo not found"
    )
    branch = pfs.Branch(repo=repo, name="nope")
    no_branch = refused(sdk, metadata.Edit(branch=branch.as_picker(), **add("k", "v")))
    assert no_branch.details() == (
        f'apply edits: edit #0: pick branch: branch "nope" not found in repo default/{repo.name}'
    )
    other = pfs.Repo(name=repo.name, project=pfs.Project(name="elsewhere"))
    no_project = refused(sdk, on_repo(other, add("k", "v")))
    assert no_project.details() == 'apply edits: edit #0: pick repo: project "elsewhere" not found'


def test_a_batch_with_one_bad_edit_changes_nothing_and_names_every_failure(
    sdk: Any, repo: pfs.Repo, commit: pfs.Commit, name: Name
) -> None:
    sdk.metadata.edit_metadata(edits=[on_repo(repo, add("kept", "before"))])
    branch = pfs.Branch(repo=repo, name="master")
    error = refused(
        sdk,
        on_repo(repo, set_("kept", "changed")),
        metadata.Edit(branch=branch.as_picker(), **add("b", "1")),
        on_repo(pfs.Repo(name=name("missing")), add("k", "v")),
        metadata.Edit(commit=commit.as_picker(), **add("c", "1")),
        on_repo(repo, add("kept", "again")),
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    lines = error.details().removeprefix("apply edits: ").split("\n")
    assert [line.split(":")[0] for line in lines] == ["edit #2", "edit #4"]
    assert "not found" in lines[0] and "already exists; use edit_key instead" in lines[1]
    assert repo_metadata(sdk, repo) == {"kept": "before"}
    assert sdk.pfs.inspect_branch(branch=branch).metadata == {}
    assert sdk.pfs.inspect_commit(commit=commit).metadata == {}


def test_later_edits_of_a_batch_see_the_earlier_ones(sdk: Any, repo: pfs.Repo) -> None:
    sdk.metadata.edit_metadata(
        edits=[
            on_repo(repo, replace(a="1", b="2")),
            on_repo(repo, delete("a")),
            on_repo(repo, add("a", "3")),
        ]
    )
    assert repo_metadata(sdk, repo) == {"a": "3", "b": "2"}


def test_an_empty_key_or_an_incomplete_edit_is_invalid_argument(sdk: Any, repo: pfs.Repo) -> None:
    error = refused(sdk, on_repo(repo, add("", "v")), metadata.Edit(**delete("x")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == (
        "validate request: invalid EditMetadataRequest.Edits[0]: embedded message failed "
        "validation | caused by: invalid Edit.AddKey: embedded message failed validation | "
        "caused by: invalid Edit_AddKey.Key: value length must be at least 1 runes; "
        "invalid EditMetadataRequest.Edits[1]: embedded message failed validation | caused "
        "by: invalid Edit.Target: value is required"
    )
    no_op = refused(sdk, metadata.Edit(repo=repo.as_picker()))
    assert no_op.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid Edit.Op: value is required" in no_op.details()
    empty_key = refused(
        sdk, on_repo(repo, {"replace": metadata.EditReplace(replacement={"": "v"})})
    )
    assert "invalid Edit_Replace.Replacement[]" in empty_key.details()
    assert repo_metadata(sdk, repo) == {}


def test_cluster_and_pipeline_metadata_are_unimplemented(sdk: Any) -> None:
    error = refused(sdk, metadata.Edit(cluster=metadata.ClusterPicker(), **add("k", "v")))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


def test_no_edits_is_no_error(sdk: Any) -> None:
    sdk.metadata.edit_metadata(edits=[])


def test_a_deleted_repo_takes_its_metadata_with_it(
    sdk: Any, repo: pfs.Repo, commit: pfs.Commit
) -> None:
    branch = pfs.Branch(repo=repo, name="master")
    sdk.metadata.edit_metadata(
        edits=[
            on_repo(repo, add("k", "v")),
            metadata.Edit(branch=branch.as_picker(), **add("k", "v")),
            metadata.Edit(commit=commit.as_picker(), **add("k", "v")),
        ]
    )
    sdk.pfs.delete_repo(repo=repo)
    sdk.pfs.create_repo(repo=repo)
    with sdk.pfs.commit(branch=branch):
        pass
    assert repo_metadata(sdk, repo) == {}
    assert sdk.pfs.inspect_branch(branch=branch).metadata == {}
    assert sdk.pfs.inspect_commit(commit=pfs.Commit(repo=repo, branch=branch)).metadata == {}


def test_a_project_and_a_repo_in_it_keep_their_own_and_go_with_the_project(
    sdk: Any, name: Name
) -> None:
    project = pfs.Project(name=name("meta-proj"))
    sdk.pfs.create_project(project=project)
    bare = name("images")
    repo = pfs.Repo(name=bare, project=project)
    namesake = pfs.Repo(name=bare)  # the same name in default
    sdk.pfs.create_repo(repo=repo)
    sdk.pfs.create_repo(repo=namesake)
    sdk.metadata.edit_metadata(
        edits=[
            metadata.Edit(project=project.as_picker(), **add("owner", "vision")),
            metadata.Edit(repo=repo.as_picker(), **add("source", "camera")),
        ]
    )
    assert sdk.pfs.inspect_project(project=project).metadata == {"owner": "vision"}
    assert sdk.pfs.inspect_repo(repo=repo).metadata == {"source": "camera"}
    assert sdk.pfs.inspect_repo(repo=namesake).metadata == {}

    sdk.pfs.delete_repo(repo=repo)
    sdk.pfs.delete_project(project=project)
    sdk.pfs.create_project(project=project)
    assert sdk.pfs.inspect_project(project=project).metadata == {}
