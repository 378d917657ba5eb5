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

PIPELINES = """
CREATE TABLE pipelines (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    salt TEXT NOT NULL,
    stopped INTEGER NOT NULL DEFAULT 0,
    output_branch TEXT NOT NULL DEFAULT 'master',
    workdir TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE pipeline_versions (
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    spec_hash TEXT NOT NULL,
    user_spec TEXT NOT NULL,
    effective_spec TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (pipeline_id, version)
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    job_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    output_commit INTEGER REFERENCES commits(id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    reason TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    data_total INTEGER NOT NULL DEFAULT 0,
    data_processed INTEGER NOT NULL DEFAULT 0,
    data_skipped INTEGER NOT NULL DEFAULT 0,
    data_failed INTEGER NOT NULL DEFAULT 0,
    data_recovered INTEGER NOT NULL DEFAULT 0,
    git_commit TEXT,
    forced TEXT NOT NULL DEFAULT '[]',
    UNIQUE (pipeline_id, job_id)
);
CREATE INDEX jobs_output ON jobs(output_commit);
CREATE TABLE datums (
    job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    datum_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    items TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    PRIMARY KEY (job, datum_id)
);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    datum_id TEXT,
    stream TEXT NOT NULL,
    time REAL NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX logs_job ON logs(job, id)
"""

# The empty directory node every new commit starts from: sha256 of its encoding "[]". Older
# versions inserted it on every open, which made opening a store a write.
EMPTY_TREE_ROW = """
INSERT OR IGNORE INTO trees (hash, body, size)
VALUES ('4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945', '[]', 0)
"""

# Puts into an open commit, staged until the commit is settled (pachlite.pfs.staged): one row
# per path, and per commit the bytes those rows add to the tree's size.
STAGED_PUTS = """
CREATE TABLE staged_puts (
    commit_row INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (commit_row, path)
) WITHOUT ROWID;
CREATE TABLE staged_totals (
    commit_row INTEGER PRIMARY KEY REFERENCES commits(id) ON DELETE CASCADE,
    bytes INTEGER NOT NULL
)
"""

# Projects (Pachyderm 2.x). `default` always exists, made here with the store's first repo's
# creation time (or now). `repos.name` and `pipelines.name` keep being the engine's unique key:
# the bare name in `default`, `project/name` elsewhere (pachlite.paths.qualify), so existing
# rows, their UNIQUE constraints and every reference to them stay as they are; `project` says
# which project a row is in, for listing by project. Objects are content-addressed, so no file
# moves on disk.
PROJECTS = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
INSERT INTO projects (name, description, created) VALUES ('default', '',
    COALESCE((SELECT min(created) FROM repos), (julianday('now') - 2440587.5) * 86400.0));
ALTER TABLE repos ADD COLUMN project TEXT NOT NULL DEFAULT 'default';
CREATE INDEX repos_project ON repos(project);
ALTER TABLE pipelines ADD COLUMN project TEXT NOT NULL DEFAULT 'default'
"""

# Pending transactions of the transaction API (pachlite.pfs.transactions): the recorded
# requests as the server encoded them, and a version that each append moves on.
TRANSACTIONS = """
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    started REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    body BLOB NOT NULL
)
"""

# Key/value metadata people attach through metadata.API's EditMetadata (pachlite.pfs.metadata):
# one table per kind of thing annotated, keyed by its row, so deleting a repo, branch or
# commit takes its metadata with it. Project metadata is keyed by the project's name.
METADATA = """
CREATE TABLE project_metadata (
    project TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (project, key)
) WITHOUT ROWID;
CREATE TABLE repo_metadata (
    repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (repo_id, key)
) WITHOUT ROWID;
CREATE TABLE branch_metadata (
    branch_id INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (branch_id, key)
) WITHOUT ROWID;
CREATE TABLE commit_metadata (
    commit_row INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (commit_row, key)
) WITHOUT ROWID
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", INITIAL),
    ("0002_pipelines", PIPELINES),
    ("0003_empty_tree", EMPTY_TREE_ROW),
    ("0004_staged_puts", STAGED_PUTS),
    ("0005_projects", PROJECTS),
    ("0006_transactions", TRANSACTIONS),
    ("0007_metadata", METADATA),
]
