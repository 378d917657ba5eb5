"""Large directories stored in pieces (pachlite.pfs.nodes), with an in-memory dict as storage."""

from __future__ import annotations

import json
import random

from pachlite.pfs.nodes import SPLIT, Index, SplitNode, decode, encode, node_hash, parse
from pachlite.pfs.tree import EMPTY_BODY, EMPTY_TREE, FILE, Entry, TreeEditor, TreeReader


class Pieces:
    def __init__(self) -> None:
        self.nodes: dict[str, str] = {EMPTY_TREE: EMPTY_BODY}
        self.reader = TreeReader(lambda h: parse(self.nodes[h]), cache_entries=5_000)
        self.saved: list[str] = []

    def save(self, digest: str, body: str, size: int) -> None:
        self.nodes[digest] = body
        self.saved.append(digest)

    def build(self, names: list[str], root: str = EMPTY_TREE) -> str:
        editor = TreeEditor(self.reader, root)
        for name in names:
            editor.put(f"/d/{name}", entry(name))
        return editor.flush(self.save)[0]

    def edit(self, root: str, put: list[str] = [], delete: list[str] = []) -> str:  # noqa: B006
        editor = TreeEditor(self.reader, root)
        for name in put:
            editor.put(f"/d/{name}", entry(name))
        for name in delete:
            editor.delete(f"/d/{name}")
        self.saved = []
        return editor.flush(self.save)[0]

    def directory(self, root: str) -> Index | dict[str, Entry]:
        found = self.reader.lookup(root, "/d")
        assert found is not None
        return parse(self.nodes[found.hash])


def entry(name: str) -> Entry:
    return Entry(FILE, f"h{name}", len(name))


def names(count: int, start: int = 0) -> list[str]:
    return [f"f{i:07d}" for i in range(start, start + count)]


def test_a_small_directory_stays_one_flat_node() -> None:
    trees = Pieces()
    root = trees.build(names(SPLIT))
    assert isinstance(trees.directory(root), dict)


def test_a_large_directory_is_stored_in_pieces_and_reads_back_in_order() -> None:
    trees = Pieces()
    wanted = names(3 * SPLIT)
    root = trees.build(wanted)
    index = trees.directory(root)
    assert isinstance(index, Index) and len(index.pieces) > 3
    assert index.count == len(wanted) and index.size == sum(len(n) for n in wanted)
    assert [p for p, _ in trees.reader.walk(root)] == ["/d"] + [f"/d/{n}" for n in wanted]
    assert trees.reader.lookup(root, f"/d/{wanted[5000]}") == entry(wanted[5000])
    assert trees.reader.lookup(root, "/d/f9999999") is None
    assert trees.reader.lookup(root, "/d/a") is None
    node = trees.reader.node(trees.reader.lookup(root, "/d").hash)  # type: ignore[union-attr]
    assert isinstance(node, SplitNode) and len(node) == len(wanted) and list(node) == wanted


def test_same_content_gives_same_root_however_it_was_built() -> None:
    trees = Pieces()
    wanted = names(20_000)
    shuffled = list(wanted)
    random.Random(1).shuffle(shuffled)
    at_once = trees.build(wanted)
    assert trees.build(shuffled) == at_once
    half = trees.build(wanted[::2])
    assert trees.edit(half, put=wanted[1::2]) == at_once
    grown = trees.build([*wanted, "f0000500x"])
    assert trees.edit(grown, delete=["f0000500x"]) == at_once


def test_editing_one_entry_rewrites_one_piece_the_index_and_the_parents() -> None:
    trees = Pieces()
    root = trees.build(names(50_000))
    root = trees.edit(root, put=["f0025000x"])
    assert len(trees.saved) == 3  # the piece, the index, the root
    piece = json.loads(trees.nodes[trees.saved[0]])
    assert len(piece) < 5_000


def test_random_edits_match_a_rebuild_above_and_below_the_split_size() -> None:
    rng = random.Random(7)
    trees = Pieces()
    current = set(names(SPLIT + 50))
    root = trees.build(sorted(current))
    for _ in range(40):
        puts, deletes = [], []
        for _ in range(rng.choice([1, 10, 400])):
            name = f"f{rng.randrange(SPLIT + 400):07d}"
            if name in current and rng.random() < 0.7:
                deletes.append(name)
                current.discard(name)
            elif name not in deletes:
                puts.append(name)
                current.add(name)
        root = trees.edit(root, put=puts, delete=deletes)
        assert root == Pieces().build(sorted(current)), (len(current), len(puts), len(deletes))
        assert [p for p, _ in trees.reader.walk(root)][1:] == [f"/d/{n}" for n in sorted(current)]


def test_shrinking_below_the_split_size_gives_one_flat_node_again() -> None:
    trees = Pieces()
    wanted = names(2 * SPLIT)
    root = trees.edit(trees.build(wanted), delete=wanted[: SPLIT + 1])
    assert isinstance(trees.directory(root), dict)
    assert root == Pieces().build(wanted[SPLIT + 1 :])


def test_diff_between_split_directories_names_only_what_changed() -> None:
    trees = Pieces()
    old = trees.build(names(30_000))
    new = trees.edit(old, put=["f0012345x"], delete=["f0000007"])
    changes = list(trees.reader.diff(Entry("d", old, -1), Entry("d", new, -1), "/"))
    assert [(p, a is None, b is None) for p, a, b in changes] == [
        ("/d/f0000007", False, True),
        ("/d/f0012345x", True, False),
    ]


def test_an_old_unsplit_large_node_still_reads_and_is_split_when_edited() -> None:
    trees = Pieces()
    wanted = names(2 * SPLIT)
    flat = encode({n: entry(n) for n in wanted})  # as a store written before pieces
    digest = node_hash(flat)
    trees.nodes[digest] = flat
    root_body = encode({"d": Entry("d", digest, sum(len(n) for n in wanted))})
    root = node_hash(root_body)
    trees.nodes[root] = root_body
    assert [p for p, _ in trees.reader.walk(root)][1:] == [f"/d/{n}" for n in wanted]
    assert decode(flat) == trees.reader.node(digest)
    edited = trees.edit(root, put=["f0000001x"])
    assert isinstance(trees.directory(edited), Index)
    assert edited == Pieces().build(sorted([*wanted, "f0000001x"]))
