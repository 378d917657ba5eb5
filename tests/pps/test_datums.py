"""Datums from inputs (docs/semantics.md §2.2-§2.6), on hand-made listings: no store involved."""

import hashlib

from pachlite.pps.datums import Datum, Entry, InputCommit, Item, Listings, generate
from pachlite.pps.pipeline_spec import parse_input
from pachlite.pps.plan import Previous, plan_job


def datums_of(node: dict, listings: Listings) -> list[Datum]:
    """The datums of an input tree written as a spec writes it (parsed first)."""
    return generate(parse_input(node), listings)


def listing(repo: str, *paths: str, commit: str = "c" * 32) -> InputCommit:
    entries = set()
    for path in paths:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            entries.add(("/" + "/".join(parts[:depth]), True))
        entries.add((path, False))
    return InputCommit(
        repo,
        "master",
        commit,
        tuple(Entry(p, f"h{p}", 1, d) for p, d in sorted(entries)),
        root_hash="root",
    )


def pfs(repo: str, glob: str, **extra: object) -> dict:
    return {"pfs": {"repo": repo, "name": repo, "branch": "master", "glob": glob, **extra}}


def paths(datums: list[Datum]) -> list[tuple[str, ...]]:
    return [tuple(f"{i.name}:{i.path}" for i in d.items) for d in datums]


IMAGES = listing("images", "/a.png", "/b.png", "/dir/c.png", "/dir/sub/d.png")


def test_glob_table_over_files_and_directories() -> None:
    listings = {"images": IMAGES}
    assert paths(datums_of(pfs("images", "/"), listings)) == [("images:/",)]
    assert paths(datums_of(pfs("images", "/*"), listings)) == [
        ("images:/a.png",),
        ("images:/b.png",),
        ("images:/dir/",),
    ]
    assert paths(datums_of(pfs("images", "/*/*"), listings)) == [
        ("images:/dir/c.png",),
        ("images:/dir/sub/",),
    ]
    assert len(datums_of(pfs("images", "/**"), listings)) == 6  # every file and directory
    assert paths(datums_of(pfs("images", "/**.png"), listings)) == [
        ("images:/a.png",),
        ("images:/b.png",),
        ("images:/dir/c.png",),
        ("images:/dir/sub/d.png",),
    ]
    assert paths(datums_of(pfs("images", "/@(a|b).png"), listings)) == [
        ("images:/a.png",),
        ("images:/b.png",),
    ]


def test_an_empty_or_missing_commit_has_no_datums() -> None:
    assert datums_of(pfs("images", "/*"), {}) == []
    assert datums_of(pfs("images", "/"), {"images": InputCommit("images", "master", "c", ())}) == []


def test_cross_of_unions() -> None:
    listings = {"a": listing("a", "/1", "/2"), "b": listing("b", "/x"), "c": listing("c", "/y")}
    node = {"cross": [pfs("a", "/*"), {"union": [pfs("b", "/*"), pfs("c", "/*")]}]}
    assert paths(datums_of(node, listings)) == [
        ("a:/1", "b:/x"),
        ("a:/1", "c:/y"),
        ("a:/2", "b:/x"),
        ("a:/2", "c:/y"),
    ]


def test_cross_with_an_empty_side_is_empty() -> None:
    node = {"cross": [pfs("a", "/*"), pfs("b", "/*")]}
    assert datums_of(node, {"a": listing("a", "/1")}) == []


JOIN_LISTINGS = {
    "images": listing("images", "/1.png", "/2.png", "/3.png"),
    "labels": listing("labels", "/1.json", "/2.json", "/4.json"),
}


def join_node(outer_images: bool = False, outer_labels: bool = False) -> dict:
    return {
        "join": [
            pfs("images", "/(*).png", joinOn="$1", outerJoin=outer_images),
            pfs("labels", "/(*).json", joinOn="$1", outerJoin=outer_labels),
        ]
    }


def test_inner_join_pairs_matching_keys() -> None:
    datums = datums_of(join_node(), JOIN_LISTINGS)
    assert paths(datums) == [
        ("images:/1.png", "labels:/1.json"),
        ("images:/2.png", "labels:/2.json"),
    ]
    assert [i.join_key for i in datums[0].items] == ["1", "1"]


def test_outer_join_keeps_unmatched_items_of_outer_inputs() -> None:
    assert paths(datums_of(join_node(outer_images=True), JOIN_LISTINGS)) == [
        ("images:/1.png", "labels:/1.json"),
        ("images:/2.png", "labels:/2.json"),
        ("images:/3.png",),
    ]
    assert paths(datums_of(join_node(True, True), JOIN_LISTINGS)) == [
        ("images:/1.png", "labels:/1.json"),
        ("images:/2.png", "labels:/2.json"),
        ("images:/3.png",),
        ("labels:/4.json",),
    ]


def test_join_is_a_product_per_key() -> None:
    listings = {"a": listing("a", "/k-1", "/k-2"), "b": listing("b", "/k-x", "/k-y", "/k-z")}
    node = {"join": [pfs("a", "/(k)-*", joinOn="$1"), pfs("b", "/(k)-*", joinOn="$1")]}
    assert len(datums_of(node, listings)) == 6


def test_group_collects_every_item_of_a_key() -> None:
    listings = {"logs": listing("logs", "/2024-01-a.log", "/2024-01-b.log", "/2024-02-a.log")}
    node = {"group": [pfs("logs", "/(*)-(*)-*.log", groupBy="$1-$2")]}
    datums = datums_of(node, listings)
    assert paths(datums) == [
        ("logs:/2024-01-a.log", "logs:/2024-01-b.log"),
        ("logs:/2024-02-a.log",),
    ]
    assert datums[0].items[0].group_key == "2024-01"


def test_datum_id_is_pachydermss_length_suffixed_blake2b() -> None:
    item = Item("images", "images", "master", "c" * 32, "/a.png", "h", 1, False)
    h = hashlib.blake2b(digest_size=32)
    for text in ("images", "images", "master", "/a.png"):
        h.update(text.encode() + len(text).to_bytes(8, "big"))
    assert Datum((item,)).id == h.hexdigest()


def test_datum_hash_covers_content_and_salt_but_not_the_commit() -> None:
    a = Datum((Item("i", "i", "master", "c1", "/a", "content-1", 1, False),))
    b = Datum((Item("i", "i", "master", "c2", "/a", "content-1", 1, False),))
    c = Datum((Item("i", "i", "master", "c2", "/a", "content-2", 1, False),))
    assert a.id == b.id == c.id
    assert a.hash("s") == b.hash("s") != c.hash("s")
    assert a.hash("s") != a.hash("other salt")


def test_plan_classifies_new_skipped_changed_removed() -> None:
    def d(path: str, content: str) -> Datum:
        return Datum((Item("i", "i", "master", "c", path, content, 1, False),))

    kept, changed, new = d("/kept", "1"), d("/changed", "2"), d("/new", "3")
    gone = d("/gone", "4")
    base = {
        kept.id: Previous(kept.id, kept.hash("s"), "SUCCESS", ("/out/kept",)),
        changed.id: Previous(changed.id, "old hash", "SUCCESS", ("/out/changed",)),
        gone.id: Previous(gone.id, gone.hash("s"), "SUCCESS", ("/out/gone",)),
    }
    skipped: list[tuple[Datum, Previous]] = []
    plan = plan_job([kept, changed, new], "s", base, skip=skipped.extend)
    assert [x.id for x in plan.new] == [new.id]
    assert [x.id for x in plan.changed] == [changed.id]
    assert [x.id for x, _ in skipped] == [kept.id] and plan.skipped == 1
    assert sorted(plan.outputs_to_delete) == ["/out/changed", "/out/gone"]
    every = plan_job([kept, changed, new], "s", base, no_skip=True)
    assert every.skipped == 0 and len(every.changed) == 2


def test_failed_and_recovered_datums_are_not_skipped() -> None:
    datum = Datum((Item("i", "i", "master", "c", "/x", "1", 1, False),))
    for state in ("FAILED", "RECOVERED"):
        plan = plan_job([datum], "s", {datum.id: Previous(datum.id, datum.hash("s"), state, ())})
        assert len(plan.changed) == 1


def test_union_siblings_sharing_a_name_read_their_own_repos() -> None:
    listings = {
        ("batches", "stream"): listing("stream", "/b1", "/b2"),
        ("batches", "pets"): listing("pets", "/mine"),
    }
    node = {
        "union": [
            {"pfs": {"repo": "stream", "name": "batches", "branch": "master", "glob": "/*"}},
            {"pfs": {"repo": "pets", "name": "batches", "branch": "master", "glob": "/*"}},
        ]
    }
    datums = datums_of(node, listings)
    assert [(d.items[0].repo, d.items[0].path) for d in datums] == [
        ("stream", "/b1"),
        ("stream", "/b2"),
        ("pets", "/mine"),
    ]
    assert len({d.id for d in datums}) == 3  # the repo is part of the datum ID
