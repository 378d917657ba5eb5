"""`pachlite fsck`: verify every object's hash and every metadata reference.

Problems are things that lose or corrupt data (a missing or corrupt object, a dangling
reference, a damaged database). Unreferenced objects and leftover temporary files are what an
interrupted write leaves behind; they are counted, not reported as problems.

fsck reports, it never crashes: a database that cannot be read at all is one problem, and the
objects are still re-hashed; a database that reads in part is checked as far as it reads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pachlite.errors import PachliteError, StoreCorrupt
from pachlite.model import FsckReport
from pachlite.pfs.nodes import Index, Piece, parse
from pachlite.pfs.objects import ObjectStore
from pachlite.pfs.store import Store
from pachlite.pfs.tree import node_hash

STALE_TEMP_S = 600


def fsck_root(root: Path) -> FsckReport:
    """fsck a data root, whether or not its metadata opens."""
    try:
        store = Store(root)
    except StoreCorrupt as exc:
        problems = [f"database: {exc.message}"]
        objects = ObjectStore(root, read_only=True)
        stored, _ = _check_objects(objects, problems)
        return FsckReport(
            objects_checked=len(stored),
            trees_checked=0,
            commits_checked=0,
            problems=problems,
            unreferenced_objects=0,
            stale_temp_files=_stale(objects),
        )
    try:
        return fsck(store)
    finally:
        store.close()


def fsck(store: Store) -> FsckReport:
    problems: list[str] = []
    checked = {"trees": 0, "commits": 0}
    referenced: set[str] = set()
    stored, corrupt = _check_objects(store.objects, problems)

    def metadata() -> None:
        _check_metadata(store, set(stored), corrupt, problems, checked, referenced)

    _reading(metadata, problems)
    return FsckReport(
        objects_checked=len(stored),
        trees_checked=checked["trees"],
        commits_checked=checked["commits"],
        problems=problems,
        unreferenced_objects=len(set(stored) - referenced),
        stale_temp_files=_stale(store.objects),
    )


def _reading(check: Callable[[], None], problems: list[str]) -> None:
    """Run a metadata check; a database that stops reading part way is one more problem."""
    try:
        check()
    except PachliteError as exc:
        problems.append(f"database: {exc.message}")


def _check_metadata(
    store: Store,
    present: set[str],
    corrupt: set[str],
    problems: list[str],
    checked: dict[str, int],
    referenced: set[str],
) -> None:
    db = store.db
    for row in db.all("PRAGMA integrity_check"):
        if row[0] != "ok":
            problems.append(f"database: {row[0]}")
    for row in db.all("PRAGMA foreign_key_check"):
        problems.append(f"database: dangling reference in table {row[0]} (row {row[1]})")

    # Directory nodes: each must hash to its name and agree with its entries.
    trees: dict[str, set[str]] = {}  # hash -> child directory hashes
    tree_files: dict[str, set[str]] = {}
    indexes: dict[str, tuple[Piece, ...]] = {}  # directories stored in pieces
    shapes: dict[str, tuple[int, int, str]] = {}  # flat node -> (entries, size, last name)
    for row in db.all("SELECT hash, body, size FROM trees"):
        digest, body = row["hash"], row["body"]
        if node_hash(body) != digest:
            problems.append(f"directory node {digest[:12]} does not match its hash")
            continue
        node = parse(body)
        if isinstance(node, Index):
            # A directory stored in pieces: its pieces are its children; each is checked
            # against the index below, and walked like any node.
            if node.size != row["size"]:
                problems.append(f"directory node {digest[:12]} has a wrong size")
            indexes[digest] = node.pieces
            trees[digest] = {p.hash for p in node.pieces}
            tree_files[digest] = set()
            continue
        if sum(e.size for e in node.values()) != row["size"]:
            problems.append(f"directory node {digest[:12]} has a wrong size")
        shapes[digest] = (len(node), row["size"], next(reversed(node), ""))
        trees[digest] = {e.hash for e in node.values() if e.is_dir}
        tree_files[digest] = {e.hash for e in node.values() if not e.is_dir}
    for digest, pieces in indexes.items():
        problems.extend(_check_pieces(digest, pieces, shapes))
    checked["trees"] = len(trees)

    # Commits: everything reachable from each commit's root must exist and be intact.
    commits = db.all(
        "SELECT c.commit_id, c.tree, r.name AS repo FROM commits c JOIN repos r ON r.id = c.repo_id"
    )
    checked["commits"] = len(commits)
    reached: dict[str, str | None] = {}  # tree hash -> first problem under it, memoised
    for commit in commits:
        trouble = _check_tree(commit["tree"], trees, tree_files, present, corrupt, reached)
        if trouble:
            problems.append(f"commit {commit['repo']}@{commit['commit_id']}: {trouble}")
    for digest in reached:
        referenced |= tree_files.get(digest, set())
    _check_staged(store, present, corrupt, problems, referenced)
    for row in db.all(
        "SELECT r.name AS repo, b.name FROM branches b JOIN repos r ON r.id = b.repo_id "
        "LEFT JOIN commits c ON c.id = b.head WHERE b.head IS NOT NULL AND c.id IS NULL"
    ):
        problems.append(f"branch {row['repo']}@{row['name']} points at a missing commit")


def _check_staged(
    store: Store, present: set[str], corrupt: set[str], problems: list[str], referenced: set[str]
) -> None:
    """Puts staged onto open commits (pachlite.pfs.staged): each object intact, each commit
    still open, and each commit's total there (reads settle only the commits it names)."""
    rows = store.db.all(
        """SELECT s.path, s.hash, c.commit_id, c.finished, r.name AS repo,
                  t.commit_row IS NOT NULL AS totalled
           FROM staged_puts s JOIN commits c ON c.id = s.commit_row
           JOIN repos r ON r.id = c.repo_id LEFT JOIN staged_totals t ON t.commit_row = c.id
           ORDER BY r.name, c.commit_id, s.path"""
    )
    seen: set[str] = set()
    for row in rows:
        name = f"commit {row['repo']}@{row['commit_id']}"
        if name not in seen:
            seen.add(name)
            if row["finished"] is not None:
                problems.append(f"{name}: finished, but puts are still staged outside its tree")
            if not row["totalled"]:
                problems.append(f"{name}: staged puts without their total (reads miss them)")
        digest = row["hash"]
        referenced.add(digest)
        if digest not in present:
            problems.append(f"{name}: staged put {row['path']}: object {digest[:12]} is missing")
        elif digest in corrupt:
            problems.append(f"{name}: staged put {row['path']}: object {digest[:12]} is corrupt")


def _check_objects(objects: ObjectStore, problems: list[str]) -> tuple[list[str], set[str]]:
    """Every stored object re-hashed: (hashes stored, hashes that are corrupt or unreadable)."""
    try:
        stored = list(objects.hashes())
    except OSError as exc:
        problems.append(f"objects: cannot list {objects.dir}: {exc.strerror or exc}")
        return [], set()

    def verdict(digest: str) -> str | None:
        try:
            return None if objects.verify(digest) else "does not match its hash (corrupt)"
        except StoreCorrupt:
            return "disappeared while fsck ran"
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        verdicts = list(pool.map(verdict, stored))
    bad: set[str] = set()
    for digest, trouble in sorted(zip(stored, verdicts, strict=True)):
        if trouble:
            bad.add(digest)
            problems.append(f"object {digest[:12]} {trouble}")
    return stored, bad


def _stale(objects: ObjectStore) -> int:
    now = time.time()
    try:
        return sum(1 for p in objects.stale_temp_files() if now - p.stat().st_mtime > STALE_TEMP_S)
    except OSError:
        return 0


def _check_pieces(
    digest: str, pieces: tuple[Piece, ...], shapes: dict[str, tuple[int, int, str]]
) -> list[str]:
    """An index node against its pieces: each piece's count, size and last name as the index
    says, and the names in order (a missing piece is reported by the walk from a commit)."""
    problems: list[str] = []
    previous = ""
    for piece in pieces:
        shape = shapes.get(piece.hash)
        if piece.last <= previous:
            problems.append(f"directory node {digest[:12]}: its pieces are out of order")
        previous = piece.last
        if shape is not None and shape != (piece.count, piece.size, piece.last):
            problems.append(
                f"directory node {digest[:12]}: piece {piece.hash[:12]} does not match the index"
            )
    return problems


def _check_tree(
    root: str,
    trees: dict[str, set[str]],
    tree_files: dict[str, set[str]],
    present: set[str],
    corrupt: set[str],
    reached: dict[str, str | None],
) -> str | None:
    stack = [(root, False)]  # iterative post-order: children before their parents
    while stack:
        digest, expanded = stack.pop()
        if digest in reached:
            continue
        if not expanded:
            stack.append((digest, True))
            stack.extend((child, False) for child in trees.get(digest, ()) if child not in reached)
            continue
        if digest not in trees:
            reached[digest] = f"directory node {digest[:12]} is missing"
            continue
        trouble = None
        for obj in sorted(tree_files[digest]):
            if obj not in present:
                trouble = f"object {obj[:12]} is missing"
                break
            if obj in corrupt:
                trouble = f"object {obj[:12]} is corrupt"
                break
        for child in sorted(trees[digest]):
            trouble = trouble or reached.get(child)
        reached[digest] = trouble
    return reached.get(root)
