"""Directory node encodings: a flat node, or a large directory stored in pieces.

A directory of up to `SPLIT` entries is one flat node: its entries, sorted by name, as one JSON
list. A larger one is an index node naming pieces, each a flat node of a run of its entries in
name order. Where a piece ends is decided by the entries' names alone (content-defined, like a
prolly tree): a piece ends after a name whose hash has its low bits zero, or after `MAX_PIECE`
entries since the last end. So the same entries always cut into the same pieces (the same
directory content has the same hash however it was built), and an edit re-cuts only the piece it
touches (and the next one, when it moved an end). Listing streams piece by piece; a lookup reads
the index and one piece.

Stores written before pieces existed hold large flat nodes; they read as they are, and such a
directory is cut into pieces the next time it is edited (read both; no migration).
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

FILE = "f"
DIR = "d"

SPLIT = 4096  # a directory above this many entries is stored in pieces
AVERAGE_PIECE = 1024  # pieces end where a name's hash is 0 mod this (a power of two)
MAX_PIECE = 4096  # ... or after this many entries, for names that never hash to an end


class Entry(NamedTuple):
    """A name's entry in a directory. A named tuple, not a dataclass: a million-entry listing
    decodes a million of them, and a tuple is made several times faster than a frozen class."""

    kind: str  # FILE or DIR
    hash: str  # object hash for files, node hash for directories
    size: int

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR


Node = dict[str, Entry]


@dataclass(frozen=True, slots=True)
class Piece:
    last: str  # the piece's last name: piece i holds the names in (last[i-1], last[i]]
    hash: str
    count: int
    size: int


@dataclass(frozen=True)
class Index:
    """A directory stored in pieces, in name order."""

    pieces: tuple[Piece, ...]

    @property
    def count(self) -> int:
        return sum(piece.count for piece in self.pieces)

    @property
    def size(self) -> int:
        return sum(piece.size for piece in self.pieces)


def encode(node: Mapping[str, Entry]) -> str:
    return json.dumps(
        [[name, node[name].kind, node[name].hash, node[name].size] for name in sorted(node)],
        separators=(",", ":"),
    )


def encode_sorted(entries: list[tuple[str, Entry]]) -> str:
    return json.dumps(
        [[name, e.kind, e.hash, e.size] for name, e in entries], separators=(",", ":")
    )


def decode(body: str) -> Node:
    """A flat node (a piece is one too); insertion order is name order."""
    make = Entry._make
    return {row[0]: make(row[1:]) for row in json.loads(body)}


def encode_index(index: Index) -> str:
    return json.dumps(
        {"pieces": [[p.last, p.hash, p.count, p.size] for p in index.pieces]},
        separators=(",", ":"),
    )


def parse(body: str) -> Node | Index:
    """A stored body: a flat node (a JSON list) or an index node (a JSON object)."""
    if body.startswith("{"):
        rows = json.loads(body)["pieces"]
        return Index(tuple(Piece(last, digest, count, size) for last, digest, count, size in rows))
    return decode(body)


def node_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def ends_piece(name: str) -> bool:
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % AVERAGE_PIECE == 0


def cut(entries: list[tuple[str, Entry]]) -> tuple[list[list[tuple[str, Entry]]], int]:
    """Sorted entries cut where pieces end: (the pieces that end, where the unended rest starts)."""
    pieces: list[list[tuple[str, Entry]]] = []
    start = 0
    for at, (name, _) in enumerate(entries):
        if at + 1 - start >= MAX_PIECE or ends_piece(name):
            pieces.append(entries[start : at + 1])
            start = at + 1
    return pieces, start


Saver = Callable[[str, str, int], None]  # (hash, body, size)


def save_piece(entries: list[tuple[str, Entry]], save: Saver) -> Piece:
    body = encode_sorted(entries)
    digest = node_hash(body)
    size = sum(e.size for _, e in entries)
    save(digest, body, size)
    return Piece(entries[-1][0], digest, len(entries), size)


def save_split(entries: list[tuple[str, Entry]], save: Saver) -> list[Piece]:
    """Every entry of a directory (sorted) saved as pieces."""
    ended, rest = cut(entries)
    if rest < len(entries):
        ended.append(entries[rest:])
    return [save_piece(chunk, save) for chunk in ended]


def save_index(pieces: list[Piece], save: Saver) -> tuple[str, int]:
    index = Index(tuple(pieces))
    body = encode_index(index)
    digest = node_hash(body)
    save(digest, body, index.size)
    return digest, index.size


class SplitNode(Mapping[str, Entry]):
    """A read-only view of a directory stored in pieces; pieces are loaded as they are needed."""

    def __init__(self, index: Index, piece: Callable[[str], Node]) -> None:
        self.index = index
        self._piece = piece
        self._lasts = [p.last for p in index.pieces]
        self._count = index.count

    def __getitem__(self, name: str) -> Entry:
        at = bisect_left(self._lasts, name)
        if at == len(self._lasts):
            raise KeyError(name)
        return self._piece(self.index.pieces[at].hash)[name]

    def __iter__(self) -> Iterator[str]:
        for piece in self.index.pieces:
            yield from self._piece(piece.hash)

    def __len__(self) -> int:
        return self._count

    def entries_outside(self, pieces: set[str]) -> Node:
        """The entries of every piece not named."""
        out: Node = {}
        for piece in self.index.pieces:
            if piece.hash not in pieces:
                out.update(self._piece(piece.hash))
        return out

    def sorted_items(self) -> Iterator[tuple[str, Entry]]:
        for piece in self.index.pieces:
            yield from self._piece(piece.hash).items()


class SplitEntries:
    """The entries of a directory stored in pieces, edited in place: only the pieces an edit
    touches are loaded, and `save` re-cuts only those."""

    def __init__(self, index: Index, piece: Callable[[str], Node]) -> None:
        self._pieces = list(index.pieces)
        self._lasts = [p.last for p in self._pieces]
        self._piece = piece
        self._loaded: dict[int, Node] = {}
        self.count = index.count

    def _at(self, name: str) -> int:
        return min(bisect_left(self._lasts, name), len(self._lasts) - 1)

    def _load(self, at: int) -> Node:
        node = self._loaded.get(at)
        if node is None:
            node = self._loaded[at] = dict(self._piece(self._pieces[at].hash))
        return node

    def get(self, name: str) -> Entry | None:
        return self._load(self._at(name)).get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._load(self._at(name))

    def __setitem__(self, name: str, entry: Entry) -> None:
        node = self._load(self._at(name))
        self.count += name not in node
        node[name] = entry

    def pop(self, name: str, default: Entry | None = None) -> Entry | None:
        node = self._load(self._at(name))
        found = node.pop(name, None)
        self.count -= found is not None
        return default if found is None else found

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def all_items(self) -> list[tuple[str, Entry]]:
        """Every entry in name order (for a directory shrinking back to one flat node)."""
        out: list[tuple[str, Entry]] = []
        for at in range(len(self._pieces)):
            out.extend(sorted(self._load(at).items()))
        return out

    def save(self, save: Saver) -> list[Piece]:
        """The directory's pieces after the edits: unedited pieces kept, edited runs re-cut."""
        out: list[Piece] = []
        at = 0
        while at < len(self._pieces):
            if at not in self._loaded:
                out.append(self._pieces[at])
                at += 1
                continue
            run: list[tuple[str, Entry]] = []
            while True:
                run.extend(sorted(self._load(at).items()))
                at += 1
                ended, rest = cut(run)
                out.extend(save_piece(chunk, save) for chunk in ended)
                run = run[rest:]
                if at == len(self._pieces):
                    if run:
                        out.append(save_piece(run, save))
                    break
                if not run:  # ended where a piece ends: the next pieces cut as before
                    break
        return out
