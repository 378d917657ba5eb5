"""Named schema migrations, applied in order, each recorded in the transaction that applies it.

Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

INITIAL = """
CREATE TABLE repos (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL DEFAULT 'user',
    description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE TABLE commit_sets (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE trees (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE commits (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repos(id),
    commit_id TEXT NOT NULL REFERENCES commit_sets(id),
    branch TEXT,
    parent INTEGER REFERENCES commits(id),
    origin TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    started REAL NOT NULL,
    finishing REAL,
    finished REAL,
    error TEXT,
    tree TEXT NOT NULL REFERENCES trees(hash),
    UNIQUE (repo_id, commit_id)
);
CREATE INDEX commits_parent ON commits(parent);
CREATE INDEX commits_set ON commits(commit_id);
CREATE TABLE commit_provenance (
    downstream INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    upstream INTEGER NOT NULL REFERENCES commits(id),
    PRIMARY KEY (downstream, upstream)
);
CREATE INDEX commit_subvenance ON commit_provenance(upstream);
CREATE TABLE branches (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repos(id),
    name TEXT NOT NULL,
    head INTEGER REFERENCES commits(id),
    UNIQUE (repo_id, name)
);
CREATE TABLE branch_provenance (
    downstream INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    upstream INTEGER NOT NULL REFERENCES branches(id),
    PRIMARY KEY (downstream, upstream)
);
CREATE INDEX branch_subvenance ON branch_provenance(upstream)
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", INITIAL),
]
