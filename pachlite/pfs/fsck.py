"""`pachlite fsck`: verify every object's hash and every metadata reference.

Problems are things that lose or corrupt data (a missing or corrupt object, a dangling
reference, a damaged database). Unreferenced objects and leftover temporary files are what an
interrupted write leaves behind; they are counted, not reported as problems.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from pachlite.model import FsckReport
from pachlite.pfs.store import Store
from pachlite.pfs.tree import decode, node_hash

STALE_TEMP_S = 600


def fsck(store: Store) -> FsckReport:
    problems: list[str] = []
    db = store.db
    for row in db.all("PRAGMA integrity_check"):
        if row[0] != "ok":
            problems.append(f"database: {row[0]}")
    for row in db.all("PRAGMA foreign_key_check"):
        problems.append(f"database: dangling reference in table {row[0]} (row {row[1]})")

    # Directory nodes: each must hash to its name and agree with its entries.
    trees: dict[str, set[str]] = {}  # hash -> child directory hashes
    tree_files: dict[str, set[str]] = {}
    for row in db.all("SELECT hash, body, size FROM trees"):
        digest, body = row["hash"], row["body"]
        if node_hash(body) != digest:
            problems.append(f"directory node {digest[:12]} does not match its hash")
            continue
        node = decode(body)
        if sum(e.size for e in node.values()) != row["size"]:
            problems.append(f"directory node {digest[:12]} has a wrong size")
        trees[digest] = {e.hash for e in node.values() if e.is_dir}
        tree_files[digest] = {e.hash for e in node.values() if not e.is_dir}

    # Objects: every one re-hashed.
    stored = list(store.objects.hashes())
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        verdicts = list(pool.map(store.objects.verify, stored))
    corrupt = {h for h, ok in zip(stored, verdicts, strict=True) if not ok}
    present = set(stored)
    for digest in sorted(corrupt):
        problems.append(f"object {digest[:12]} does not match its hash (corrupt)")

    # Commits: everything reachable from each commit's root must exist and be intact.
    referenced: set[str] = set()
    commits = db.all(
        "SELECT c.commit_id, c.tree, r.name AS repo FROM commits c JOIN repos r ON r.id = c.repo_id"
    )
    reached: dict[str, str | None] = {}  # tree hash -> first problem under it, memoised
    for commit in commits:
        trouble = _check_tree(commit["tree"], trees, tree_files, present, corrupt, reached)
        if trouble:
            problems.append(f"commit {commit['repo']}@{commit['commit_id']}: {trouble}")
    for digest in reached:
        referenced |= tree_files.get(digest, set())
    for row in db.all(
        "SELECT r.name AS repo, b.name FROM branches b JOIN repos r ON r.id = b.repo_id "
        "LEFT JOIN commits c ON c.id = b.head WHERE b.head IS NOT NULL AND c.id IS NULL"
    ):
        problems.append(f"branch {row['repo']}@{row['name']} points at a missing commit")

    now = time.time()
    stale = [p for p in store.objects.stale_temp_files() if now - p.stat().st_mtime > STALE_TEMP_S]
    return FsckReport(
        objects_checked=len(stored),
        trees_checked=len(trees),
        commits_checked=len(commits),
        problems=problems,
        unreferenced_objects=len(present - referenced),
        stale_temp_files=len(stale),
    )


def _check_tree(
    root: str,
    trees: dict[str, set[str]],
    tree_files: dict[str, set[str]],
    present: set[str],
    corrupt: set[str],
    reached: dict[str, str | None],
) -> str | None:
    stack = [root]
    order: list[str] = []
    while stack:
        digest = stack.pop()
        if digest in reached or digest in order:
            continue
        order.append(digest)
        stack.extend(trees.get(digest, set()))
    for digest in reversed(order):  # children before parents
        if digest in reached:
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
