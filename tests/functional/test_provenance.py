"""Commit sets (global IDs), propagation and provenance (docs/semantics.md §5.2)."""

import itertools

import pytest

from pachlite import Client
from pachlite.errors import Conflict
from pachlite.model import Origin


def chain(client: Client, names: list[str]) -> None:
    for name in names:
        client.create_repo(name)
        client.create_branch(f"{name}@master")
    for up, down in itertools.pairwise(names):
        client.create_branch(f"{down}@master", provenance=[f"{up}@master"])


def test_a_put_propagates_one_commit_set_downstream(client: Client) -> None:
    chain(client, ["raw", "clean", "model"])
    info = client.put_file_bytes("raw@master:/x", b"1")
    commit_set = client.list_commit(info.id)
    assert sorted((c.repo, c.origin) for c in commit_set) == [
        ("clean", Origin.AUTO),
        ("model", Origin.AUTO),
        ("raw", Origin.USER),
    ]
    clean = client.inspect_commit("clean@master")
    assert clean.id == info.id and not clean.is_finished
    assert clean.direct_provenance == [f"raw@{info.id}"]
    assert client.inspect_commit(f"raw@{info.id}").direct_subvenance == [f"clean@{info.id}"]


def test_provenance_points_at_heads_of_unchanged_inputs(client: Client) -> None:
    for name in ["images", "labels", "joined"]:
        client.create_repo(name)
    first_labels = client.put_file_bytes("labels@master:/l", b"1")
    client.put_file_bytes("images@master:/i", b"1")
    client.create_branch("joined@master", provenance=["images@master", "labels@master"])
    new_images = client.put_file_bytes("images@master:/i", b"2")
    joined = client.inspect_commit("joined@master")
    assert joined.id == new_images.id
    assert joined.direct_provenance == [f"images@{new_images.id}", f"labels@{first_labels.id}"]


def test_full_provenance_tree_and_subvenance(client: Client) -> None:
    chain(client, ["a", "b", "c"])
    info = client.put_file_bytes("a@master:/x", b"1")
    for repo in ["b", "c"]:
        client.finish_commit(f"{repo}@master", force=True)
    tree = client.commit_provenance("c@master")
    assert tree.commit == f"c@{info.id}"
    assert [n.commit for n in tree.inputs] == [f"b@{info.id}"]
    assert [n.commit for n in tree.inputs[0].inputs] == [f"a@{info.id}"]
    assert tree.inputs[0].inputs[0].origin == Origin.USER
    assert sorted(c.repo for c in client.commit_subvenance(f"a@{info.id}")) == ["b", "c"]


def test_wait_commit_covers_the_downstream_commits_of_its_set(client: Client) -> None:
    chain(client, ["a", "b"])
    info = client.put_file_bytes("a@master:/x", b"1")
    client.finish_commit("b@master", force=True)
    waited = client.wait_commit(f"a@{info.id}", timeout=5)
    assert sorted(c.repo for c in waited) == ["a", "b"]


def test_auto_commits_need_force_to_finish_by_hand(client: Client) -> None:
    chain(client, ["a", "b"])
    client.put_file_bytes("a@master:/x", b"1")
    with pytest.raises(Conflict, match="--force"):
        client.finish_commit("b@master")


def test_history_others_were_made_from_cannot_be_squashed_or_deleted(client: Client) -> None:
    client.create_repo("a")
    client.create_repo("b")
    client.put_file_bytes("a@master:/x", b"1")
    client.create_branch("b@master", provenance=["a@master"])
    client.finish_commit("b@master", force=True)
    used = client.inspect_commit("a@master").id
    client.put_file_bytes("a@master:/x", b"2")
    client.finish_commit("b@master", force=True)
    # b's first commit (a set of its own, made when the provenance was set) came from `used`.
    with pytest.raises(Conflict, match="were made from it"):
        client.squash_commit(f"a@{used}")
    assert client.fsck().ok
