"""The served calls, one module per group; each registers its handlers on a Registry."""

from __future__ import annotations

from pachlite.server.registry import Registry


def registry() -> Registry:
    """Every call served so far (docs/api.md lists them)."""
    from pachlite.server.services import (
        branches,
        cluster,
        commit_sets,
        commits,
        file_infos,
        file_reads,
        file_sets,
        find_commits,
        metadata,
        modify_file,
        projects,
        repos,
        subscribe,
        transactions,
    )

    served = Registry()
    for group in (cluster, projects, repos, branches, commits, commit_sets, subscribe,
                  find_commits, modify_file, file_sets, file_reads, file_infos,
                  metadata):  # fmt: skip
        group.register(served)
    # Last: it diverts calls of the groups above that are made in a transaction.
    transactions.register(served)
    return served
