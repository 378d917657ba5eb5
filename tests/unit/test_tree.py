"""The Merkle tree, with an in-memory dict as its storage."""

import pytest

from pachlite.errors import Conflict
from pachlite.pfs.tree import (
    DIR,
    EMPTY_BODY,
    EMPTY_TREE,
    FILE,
    Entry,
    TreeEditor,
    TreeReader,
    decode,
)


class MemoryTrees:
    def __init__(self) -> None:
        self.nodes: dict[str, str] = {EMPTY_TREE: EMPTY_BODY}
        self.reader = TreeReader(lambda h: decode(self.nodes[h]))

    def save(self, digest: str, body: str, size: int) -> None:
        self.nodes[digest] = body

    def edit(self, root: str, **puts: int) -> str:
        editor = TreeEditor(self.reader, root)
        for path, size in puts.items():
            editor.put("/" + path.replace("__", "/"), Entry(FILE, f"h{path}{size}", size))
        return editor.flush(self.save)[0]

    def paths(self, root: str) -> list[str]:
        return [p for p, _ in self.reader.walk(root)]


def test_directories_are_implied_and_sizes_add_up() -> None:
    trees = MemoryTrees()
    root = trees.edit(EMPTY_TREE, a__b__c=3, a__d=4)
    assert trees.paths(root) == ["/a", "/a/b", "/a/b/c", "/a/d"]
    entry = trees.reader.lookup(root, "/a")
    assert entry is not None and entry.kind == DIR and entry.size == 7


def test_same_content_gives_same_root_whatever_the_order() -> None:
    trees = MemoryTrees()
    one = trees.edit(EMPTY_TREE, x__y=1, z=2)
    two = trees.edit(trees.edit(EMPTY_TREE, z=2), x__y=1)
    assert one == two


def test_unchanged_subtrees_are_shared() -> None:
    trees = MemoryTrees()
    first = trees.edit(EMPTY_TREE, big__a=1, big__b=2, small=1)
    before = len(trees.nodes)
    second = trees.edit(first, small=5)
    # Only the root changed: one new node, the "big" directory is reused.
    assert len(trees.nodes) == before + 1
    assert trees.reader.lookup(first, "/big") == trees.reader.lookup(second, "/big")


def test_deleting_the_last_file_removes_empty_directories() -> None:
    trees = MemoryTrees()
    root = trees.edit(EMPTY_TREE, a__b__c=1, keep=1)
    editor = TreeEditor(trees.reader, root)
    assert editor.delete("/a/b/c")
    root = editor.flush(trees.save)[0]
    assert trees.paths(root) == ["/keep"]


def test_delete_of_a_missing_path_reports_false() -> None:
    trees = MemoryTrees()
    editor = TreeEditor(trees.reader, trees.edit(EMPTY_TREE, a=1))
    assert not editor.delete("/nope")
    assert not editor.delete("/a/under-a-file")


def test_file_and_directory_cannot_share_a_path() -> None:
    trees = MemoryTrees()
    root = trees.edit(EMPTY_TREE, a__b=1)
    editor = TreeEditor(trees.reader, root)
    with pytest.raises(Conflict, match="is a directory"):
        editor.put("/a", Entry(FILE, "h", 1))
    with pytest.raises(Conflict, match="is a file"):
        editor.put("/a/b/c", Entry(FILE, "h", 1))


def test_diff_descends_only_into_changes() -> None:
    trees = MemoryTrees()
    old = trees.edit(EMPTY_TREE, d__x=1, d__y=1, e=1)
    new = trees.edit(old, d__x=2, f=3)
    editor = TreeEditor(trees.reader, new)
    editor.delete("/e")
    new = editor.flush(trees.save)[0]
    changes = [
        (path, a is not None, b is not None)
        for path, a, b in trees.reader.diff(Entry(DIR, old, 0), Entry(DIR, new, 0), "/")
    ]
    assert changes == [("/d/x", True, True), ("/e", True, False), ("/f", False, True)]


def test_emptying_everything_gives_the_empty_tree() -> None:
    trees = MemoryTrees()
    editor = TreeEditor(trees.reader, trees.edit(EMPTY_TREE, a__b=1))
    editor.delete("/")
    assert editor.flush(trees.save) == (EMPTY_TREE, 0)


def test_trees_thousands_of_levels_deep_are_written_walked_and_diffed() -> None:
    trees = MemoryTrees()
    deep = "/".join(["d"] * 3000)
    editor = TreeEditor(trees.reader, EMPTY_TREE)
    editor.put(f"/{deep}/f", Entry(FILE, "h1", 1))
    first, size = editor.flush(trees.save)
    assert size == 1
    walked = trees.paths(first)
    assert len(walked) == 3001 and walked[-1] == f"/{deep}/f"
    editor = TreeEditor(trees.reader, first)
    editor.put(f"/{deep}/g", Entry(FILE, "h2", 2))
    second, _ = editor.flush(trees.save)
    changed = [(path, new.hash if new else None) for path, _, new in trees.reader.diff(
        Entry(DIR, first, -1), Entry(DIR, second, -1), "/"
    )]  # fmt: skip
    assert changed == [(f"/{deep}/g", "h2")]
    assert trees.reader.lookup(second, f"/{deep}/f") == Entry(FILE, "h1", 1)
