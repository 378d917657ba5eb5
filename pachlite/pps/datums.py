"""Datums from inputs: pfs, cron, cross, union, join, group (docs/semantics.md §2.2-§2.6).

One recursive dispatch over the input tree, as Pachyderm's datum iterators do. The engine hands
in, per input name, the listing of the input commit (every path, directories included); the
planner never touches storage. A datum's ID says which paths it holds; its hash adds their
content and the pipeline's salt, exactly as Pachyderm computes both (BLAKE2b-256).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pachlite.errors import InvalidArgument
from pachlite.globpattern import compile_glob, expand_template
from pachlite.pps.pipeline_spec import CronInput, Cross, Group, Input, Join, PfsInput, Union


@dataclass(frozen=True, slots=True)
class Entry:
    """One path of an input commit."""

    path: str  # "/a/b", no trailing slash; "/" is the root
    hash: str
    size: int
    is_dir: bool


@dataclass(frozen=True)
class InputCommit:
    repo: str
    branch: str
    commit: str
    # Every path except the root (none for an empty commit), in path order. Any iterable that
    # can be iterated more than once: the engine walks the tree each time, holding no copy.
    entries: Iterable[Entry]
    root_hash: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    repo: str
    branch: str
    commit: str
    path: str  # as a FileInfo shows it: directories end in '/'
    hash: str
    size: int
    is_dir: bool
    join_key: str | None = None
    group_key: str | None = None

    def to_json(self) -> dict[str, str | int | bool]:
        out: dict[str, str | int | bool] = {
            "name": self.name,
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.commit,
            "path": self.path,
            "hash": self.hash,
            "size": self.size,
            "is_dir": self.is_dir,
        }
        if self.join_key is not None:
            out["join_key"] = self.join_key
        if self.group_key is not None:
            out["group_key"] = self.group_key
        return out

    def json(self) -> str:
        """`json.dumps(self.to_json())`, made from a cached head: a million of them is cheap."""
        text = (
            _json_head(self.name, self.repo, self.branch, self.commit)
            + f'{_string(self.path)}, "hash": {_string(self.hash)}, "size": {self.size:d}, '
            + f'"is_dir": {"true" if self.is_dir else "false"}'
        )
        if self.join_key is not None:
            text += f', "join_key": {_string(self.join_key)}'
        if self.group_key is not None:
            text += f', "group_key": {_string(self.group_key)}'
        return text + "}"

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled by the engine's spool (worker/spool.py): the constructor is several times
        # faster than dataclasses' generic state restore.
        return Item, (
            self.name,
            self.repo,
            self.branch,
            self.commit,
            self.path,
            self.hash,
            self.size,
            self.is_dir,
            self.join_key,
            self.group_key,
        )


_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


@functools.lru_cache(maxsize=256)
def _json_head(name: str, repo: str, branch: str, commit: str) -> str:
    return (
        f'{{"name": {_string(name)}, "repo": {_string(repo)}, "branch": {_string(branch)}, '
        f'"commit": {_string(commit)}, "path": '
    )


def items_json(items: Iterable[Item]) -> str:
    """A datum's items as the datums table stores them: `json.dumps` of their `to_json`."""
    return "[" + ", ".join(item.json() for item in items) + "]"


@functools.lru_cache(maxsize=256)
def _id_part(text: str) -> bytes:
    data = text.encode()
    return data + len(data).to_bytes(8, "big")


def _datum_id(items: tuple[Item, ...]) -> str:
    """BLAKE2b over (name, repo, branch, path) of each item, each length-suffixed."""
    parts: list[bytes] = []
    for item in items:
        parts.append(_id_part(item.name))  # the same few names, repos, branches: cached
        parts.append(_id_part(item.repo))
        parts.append(_id_part(item.branch))
        path = item.path.encode()
        parts.append(path)
        parts.append(len(path).to_bytes(8, "big"))
    return hashlib.blake2b(b"".join(parts), digest_size=32).hexdigest()


@dataclass(frozen=True, slots=True)
class Datum:
    items: tuple[Item, ...]
    # Computed once, as the datum is made: a million-datum job asks for each ID several times,
    # and slots (no per-datum dict) keep a million datums small.
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", _datum_id(self.items))

    def hash(self, salt: str) -> str:
        """The ID plus every item's content hash plus the salt: what decides skipping."""
        data = self.id + "".join(item.hash for item in self.items) + salt
        return hashlib.blake2b(data.encode(), digest_size=32).hexdigest()

    @property
    def size(self) -> int:
        return sum(item.size for item in self.items)

    def __reduce__(self) -> tuple[object, ...]:
        return _restored_datum, (self.items, self.id)


def _restored_datum(items: tuple[Item, ...], datum_id: str) -> Datum:
    """A pickled datum, its ID as it was computed (not hashed again)."""
    datum = object.__new__(Datum)
    object.__setattr__(datum, "items", items)
    object.__setattr__(datum, "id", datum_id)
    return datum


# (input name, repo) -> the commit it reads. Union siblings may share a name, so the repo is
# part of the key; a bare name is accepted where it is unique (handy in tests).
Listings = Mapping[tuple[str, str] | str, InputCommit]


def generate(node: Input | None, listings: Listings) -> list[Datum]:
    """Every datum of an (effective) input tree, in Pachyderm's order, without duplicates."""
    if node is None:
        return []
    datums = _generate(node, listings)
    if isinstance(node, PfsInput | CronInput):
        return datums  # one datum per matched path: no two share an ID
    unique: dict[str, Datum] = {}
    for datum in datums:
        unique.setdefault(datum.id, datum)
    return list(unique.values())


def stream(node: Input | None, listings: Listings) -> Iterator[Datum]:
    """`generate`'s datums one at a time. A pfs or cron input's are made as its listing is
    walked, none held (a million-file input is a million datums); the other inputs combine
    their children's lists (a cross or join needs them whole) and are generated first."""
    match node:
        case None:
            return iter(())
        case PfsInput():
            return (Datum((item,)) for item in _pfs_items(node, listings))
        case CronInput():
            return (Datum((item,)) for item in _pfs_items(_cron_as_pfs(node), listings))
        case _:
            return iter(generate(node, listings))


def _cron_as_pfs(node: CronInput) -> PfsInput:
    return PfsInput(name=node.name, repo=node.repo, branch="master", glob="/*")


def _generate(node: Input, listings: Listings) -> list[Datum]:
    match node:
        case PfsInput():
            return [Datum((item,)) for item in pfs_items(node, listings)]
        case CronInput():
            return [Datum((item,)) for item in pfs_items(_cron_as_pfs(node), listings)]
        case Cross():
            children = [_generate(child, listings) for child in node.inputs]
            return [
                Datum(tuple(itertools.chain.from_iterable(d.items for d in combo)))
                for combo in itertools.product(*children)
            ]
        case Union():
            return [datum for child in node.inputs for datum in _generate(child, listings)]
        case Join():
            return _join(node.inputs, listings)
        case Group():
            return _group(node.inputs, listings)


def pfs_items(pfs: PfsInput, listings: Listings) -> list[Item]:
    """The items a pfs input's glob matches, files and directories alike (semantics §2.2)."""
    return list(_pfs_items(pfs, listings))


def _pfs_items(pfs: PfsInput, listings: Listings) -> Iterator[Item]:
    name = pfs.name or pfs.repo
    commit = listings.get((name, pfs.repo)) or listings.get(name)
    if commit is None:
        return  # no commit: no datums
    glob = compile_glob(pfs.glob or "/")
    join_on, group_by = pfs.join_on, pfs.group_by
    if glob.pattern == "/":
        size, empty = 0, True
        for e in commit.entries:
            empty = False
            if not e.is_dir:
                size += e.size
        if empty:
            return  # an empty commit: no datums
        yield Item(
            name,
            commit.repo,
            commit.branch,
            commit.commit,
            "/",
            commit.root_hash,
            size,
            True,
            "" if join_on is not None else None,
            "" if group_by is not None else None,
        )
        return
    for entry in commit.entries:
        match = glob.match(entry.path)
        if not match:
            continue
        yield Item(
            name=name,
            repo=commit.repo,
            branch=commit.branch,
            commit=commit.commit,
            path=entry.path + "/" if entry.is_dir else entry.path,
            hash=entry.hash,
            size=entry.size,
            is_dir=entry.is_dir,
            join_key=expand_template(match, join_on) if join_on is not None else None,
            group_key=expand_template(match, group_by) if group_by is not None else None,
        )


def _leaf_items(
    children: Iterable[Input], kind: str, listings: Listings
) -> list[tuple[PfsInput, list[Item]]]:
    out = []
    for child in children:
        if not isinstance(child, PfsInput):
            raise InvalidArgument(f"the inputs of a {kind} must be pfs inputs")
        out.append((child, pfs_items(child, listings)))
    return out


def _join(children: Iterable[Input], listings: Listings) -> list[Datum]:
    """Per key: the product of each child's items; partial keys keep only outer-join items."""
    leaves = _leaf_items(children, "join", listings)
    by_key: list[dict[str, list[Item]]] = []
    for _, items in leaves:
        table: dict[str, list[Item]] = {}
        for item in items:
            table.setdefault(item.join_key or "", []).append(item)
        by_key.append(table)
    keys = sorted(set().union(*by_key)) if by_key else []
    datums: list[Datum] = []
    for key in keys:
        lists = [table.get(key, []) for table in by_key]
        if all(lists):
            datums.extend(Datum(combo) for combo in itertools.product(*lists))
            continue
        outer = [pfs.outer_join for pfs, _ in leaves]
        present = [(lst, is_outer) for lst, is_outer in zip(lists, outer, strict=True) if lst]
        for combo in itertools.product(*(lst for lst, _ in present)):
            kept = tuple(
                item for item, (_, is_outer) in zip(combo, present, strict=True) if is_outer
            )
            if kept:
                datums.append(Datum(kept))
    return datums


def _group(children: Iterable[Input], listings: Listings) -> list[Datum]:
    """Per key: one datum holding every item, from every child, with that key."""
    groups: dict[str, list[Item]] = {}
    for _, items in _leaf_items(children, "group", listings):
        for item in items:
            groups.setdefault(item.group_key or "", []).append(item)
    return [Datum(tuple(groups[key])) for key in sorted(groups)]
